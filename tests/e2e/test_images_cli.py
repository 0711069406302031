"""``kyb images import|ls|rm`` as a user runs them on an air-gapped node."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.imagebuild import ImageSpec

pytestmark = pytest.mark.e2e


def kyb_images(data_dir, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kybernetes.cli.main", "images", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=60)


def test_import_list_and_remove(tmp_path):
    data = tmp_path / "data"
    docker = ImageSpec([{"etc/motd": b"hi"}]).docker_archive(tmp_path / "d.tar", "busybox:latest", "busybox:1.36")
    oci = ImageSpec([{"x": b"y" * 5000}]).oci_archive(tmp_path / "o.tar", "registry.local/pause:3.9")

    p = kyb_images(data, "import", str(docker), str(oci), str(tmp_path / "missing.tar"))
    assert p.returncode == 1                                     # one file was missing ...
    assert "missing.tar" in p.stderr
    assert "imported docker.io/library/busybox:latest" in p.stdout   # ... the others went in
    assert "imported registry.local/pause:3.9" in p.stdout

    rows = [line.split() for line in kyb_images(data, "ls").stdout.splitlines()]
    assert rows[0] == ["IMAGE", "TAG", "IMAGE", "ID", "SIZE"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("docker.io/library/busybox", "1.36"),
                                                ("docker.io/library/busybox", "latest"),
                                                ("registry.local/pause", "3.9")]
    assert rows[1][2] == rows[2][2]                              # two tags, one image ID

    p = kyb_images(data, "rm", "busybox:1.36", "nothing:here")
    assert p.returncode == 1 and "Deleted: docker.io/library/busybox:1.36" in p.stdout
    assert "image 'nothing:here' not found" in p.stderr
    p = kyb_images(data, "rm", "registry.local/pause:3.9", "busybox")
    assert p.returncode == 0
    assert kyb_images(data, "ls").stdout.splitlines()[1:] == []
