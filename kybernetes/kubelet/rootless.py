"""Running the kubelet without root.

A kubelet started by an unprivileged user re-executes itself as root of a user
namespace of its own (``unshare --user --map-root-user --mount``, which maps only the
user's own uid, to 0). There it may create network namespaces, mount overlays and run
``runc``, which notices the user namespace and leaves cgroups alone. What it cannot do:

- cgroups: no memory/CPU/pids limits, and so no OOMKilled reasons;
- other users: only uid/gid 0 exist inside, so a container that asks for another
  user fails with a clear message;
- the host's network: the pods' bridge lives in a node namespace of the kubelet's own,
  which the host cannot route to; the node's address is 127.0.0.1 (the kubelet API);
- survive a restart: namespaces and mounts die with the user namespace, so a restarted
  rootless kubelet starts its pods' containers afresh.
"""

from __future__ import annotations

import os
import shutil
import sys

__all__ = ["in_user_namespace", "needs_reexec", "reexec"]

ENV_MARK = "KYB_ROOTLESS_CHILD"


def in_user_namespace() -> bool:
    """Whether this process runs in a user namespace other than the initial one
    (whose map is the identity over all 2^32 ids)."""
    try:
        with open("/proc/self/uid_map") as f:
            lines = [line.split() for line in f if line.strip()]
    except OSError:
        return False
    return lines != [["0", "0", "4294967295"]]


def needs_reexec() -> bool:
    return os.geteuid() != 0 and os.environ.get(ENV_MARK) != "1"


def reexec(argv: list[str]) -> None:
    """Replace this process with ``kyb ARGV`` as root of a new user and mount namespace
    (same pid, so whoever started it can still stop it by pid)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise SystemExit("kyb kubelet: not root, and util-linux's unshare, which a rootless kubelet needs, "
                         "is not installed")
    env = {**os.environ, ENV_MARK: "1"}
    os.execve(unshare, ["unshare", "--user", "--map-root-user", "--mount", "--",
                        sys.executable, "-m", "kybernetes.cli.main", *argv], env)
