"""``kyb images import|ls|rm``: the node's image store from the command line, for
air-gapped hosts (``docker save`` / OCI archives in, no registry needed)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .reference import parse_reference
from .store import ImageError, ImageStore

__all__ = ["add_images_parser", "run_images_command", "store_root"]


def store_root(data_dir: str | Path) -> Path:
    """Where a node keeps its images: ``<data-dir>/agent/store``. Archives dropped in
    ``<data-dir>/agent/images/`` are imported when the node agent starts."""
    return Path(data_dir).expanduser() / "agent" / "store"


def add_images_parser(sub: Any) -> None:
    p = sub.add_parser("images", help="the node's container images: import archives, list, remove")
    p.add_argument("--data-dir", default=os.environ.get("KYB_DATA_DIR", str(Path.home() / ".kyb")),
                   help="the node's data directory (default ~/.kyb)")
    p.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")
    verbs = p.add_subparsers(dest="images_command", required=True)
    imp = verbs.add_parser("import", help="import docker-archive or OCI-archive tar files (gzip allowed)")
    imp.add_argument("files", nargs="+")
    verbs.add_parser("ls", help="list images")
    rm = verbs.add_parser("rm", help="remove images by name or ID")
    rm.add_argument("images", nargs="+")


def human_size(n: int) -> str:
    """Sizes as crictl prints them (decimal units)."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.3g}{unit}" if unit != "B" else f"{n}B"
        n /= 1000  # type: ignore[assignment]
    return f"{n}B"


def run_images_command(args: argparse.Namespace) -> int:
    store = ImageStore(store_root(args.data_dir))
    status = 0
    if args.images_command == "import":
        for f in args.files:
            try:
                for image in store.import_archive(f):
                    print(f"imported {image.name} ({image.id[7:20]})")
            except (ImageError, OSError, ValueError, KeyError) as e:
                print(f"kyb images import: {f}: {e}", file=sys.stderr)
                status = 1
    elif args.images_command == "ls":
        rows = [("IMAGE", "TAG", "IMAGE ID", "SIZE")]
        for image in store.list():
            ref = parse_reference(image.name)
            rows.append((f"{ref.registry}/{ref.repository}", ref.tag or "<none>", image.id[7:20],
                         human_size(image.size)))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3])
    else:
        for ref in args.images:
            try:
                for name in store.remove(ref):
                    print(f"Deleted: {name}")
            except ImageError as e:
                print(f"kyb images rm: {e}", file=sys.stderr)
                status = 1
    return status
