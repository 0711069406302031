"""An acknowledged write survives ``kill -9`` of the process that made it."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time

from kybernetes.storage.sqlite import SQLiteStore

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# 16 concurrent writers, each creating keys and updating them; every
# acknowledged write is printed as "key revision value" right after its await.
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    sys.path.insert(0, ROOT)
    from kybernetes.storage.sqlite import SQLiteStore

    async def main(path):
        store = await SQLiteStore.open(path, compaction_interval=None)
        print("ready", flush=True)

        async def worker(w):
            i = 0
            while True:
                key = f"/burst/{w}/{i}"
                value = f"{w}-{i}-0"
                rev = await store.create(key, value.encode())
                sys.stdout.write(f"{key} {rev} {value}\\n")
                sys.stdout.flush()
                for u in range(1, 3):
                    value = f"{w}-{i}-{u}"
                    rev = await store.update(key, value.encode(), expected_revision=rev)
                    sys.stdout.write(f"{key} {rev} {value}\\n")
                    sys.stdout.flush()
                i += 1

        await asyncio.gather(*(worker(w) for w in range(16)))

    asyncio.run(main(sys.argv[1]))
    """
).replace("ROOT", repr(ROOT))

ACKS_BEFORE_KILL = 200


async def test_acknowledged_writes_survive_sigkill():
    d = tempfile.mkdtemp(prefix="kyb-durability-")
    path = os.path.join(d, "store.db")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, path],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
            acked: list[tuple[str, int, str]] = []
            deadline = time.monotonic() + 15
            while len(acked) < ACKS_BEFORE_KILL:
                line = proc.stdout.readline()
                assert line, f"child exited early: {proc.stderr.read() if proc.stderr else ''}"
                key, rev, value = line.split()
                acked.append((key, int(rev), value))
                assert time.monotonic() < deadline
            proc.send_signal(signal.SIGKILL)
            # Lines written before the kill are acknowledgements too.
            rest, _ = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL
        for line in rest.splitlines():
            parts = line.split()
            if len(parts) == 3:  # a line cut by the kill cannot be one
                acked.append((parts[0], int(parts[1]), parts[2]))
        assert len(acked) >= ACKS_BEFORE_KILL

        # No -wal checkpoint happened on the way down: recovery reads the WAL.
        store = await SQLiteStore.open(path, compaction_interval=None)
        try:
            top = max(rev for _, rev, _ in acked)
            assert store.revision >= top
            for key, rev, value in acked:
                kv = await store.get(key, revision=rev)
                assert kv is not None, f"acknowledged {key}@{rev} lost"
                assert kv.mod_revision == rev and kv.value == value.encode()
            # Revisions have no holes (nothing was compacted) ...
            conn = sqlite3.connect(path)
            try:
                ids = [r[0] for r in conn.execute("SELECT id FROM kv ORDER BY id")]
            finally:
                conn.close()
            assert ids == list(range(1, store.revision + 1))
            # ... and continue above everything acknowledged.
            assert await store.create("/after-crash", b"x") == store.revision > top
        finally:
            await store.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)

