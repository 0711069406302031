"""Golden captures of a real upstream 1.28 API server (copied from the shared
reference into the repo so the tests never depend on where it is mounted)."""

from pathlib import Path

UPSTREAM = Path(__file__).parent / "fixtures" / "upstream-1.28"
