"""Container log files: the shim's CRI-format writer with rotation, and the kubectl-logs reader."""

from __future__ import annotations

import asyncio
import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kybernetes.kubelet.logs import (
    LogOptions,
    LogWriter,
    follow_log,
    log_files,
    read_log,
    rotated_files,
)

T0 = 1_475_713_029_669_794_202  # 2016-10-06T00:17:09.669794202Z


class Clock:
    """time.time_ns stand-in: each call is `step` ns after the one before."""

    def __init__(self, start: int = T0, step: int = 1) -> None:
        self.now, self.step = start - step, step

    def __call__(self) -> int:
        self.now += self.step
        return self.now


def read(path, **kw) -> bytes:
    all_files = kw.pop("all_files", False)
    return b"".join(read_log(str(path), LogOptions(**kw), all_files=all_files))


def write_file(path, text: str) -> str:
    path.write_text(text)
    return str(path)


chunks = st.lists(
    st.one_of(st.binary(max_size=30), st.text("ab\n", max_size=30).map(str.encode)), max_size=25)


# --------------------------------------------------------------------------- writer

def test_records_are_cri_lines(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, max_line=5, clock=Clock())
    w.write("stdout", b"hi\nhello world\npart")
    w.write("stderr", b"oops\n")
    w.flush_partial("stdout")
    w.close()
    assert Path(p).read_text().splitlines() == [
        "2016-10-06T00:17:09.669794202Z stdout F hi",
        "2016-10-06T00:17:09.669794203Z stdout P hello",
        "2016-10-06T00:17:09.669794204Z stdout P  worl",
        "2016-10-06T00:17:09.669794205Z stdout F d",
        "2016-10-06T00:17:09.669794206Z stderr F oops",
        "2016-10-06T00:17:09.669794207Z stdout P part",
    ]


def test_line_of_exactly_max_line_is_one_full_record(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, max_line=4, clock=Clock())
    w.write("stdout", b"abcd")  # not longer than max_line yet: held back
    assert Path(p).read_text() == ""
    w.write("stdout", b"\nabcdefgh")  # an unfinished line over max_line goes out in pieces
    w.close()
    assert [line.split(" ", 2)[2] for line in Path(p).read_text().splitlines()] == ["F abcd", "P abcd", "P efgh"]


def test_close_flushes_unfinished_lines(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, clock=Clock())
    w.write("stdout", b"no newline")
    w.write("stderr", b"neither")
    w.close()
    assert read(p) == b"no newlineneither"
    assert read(p, stream="stderr") == b"neither"


def test_rotation_keeps_at_most_max_files(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, max_size=200, max_files=3, clock=Clock(step=1_000_000_000))
    for i in range(100):
        w.write("stdout", b"line %03d\n" % i)
        assert len(log_files(p)) <= 3
        assert all(os.path.getsize(tmp_path / f) <= 200 for f in os.listdir(tmp_path) if not f.endswith(".gz"))
    w.close()
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 3 and "0.log" in names
    rotated = rotated_files(p)
    # upstream's names: <path>.<YYYYMMDD-HHMMSS>; all but the newest rotated file gzipped
    assert [os.path.basename(r)[:6] for r in rotated] == ["0.log.", "0.log."]
    assert rotated[0].endswith(".gz") and not rotated[1].endswith(".gz")
    with gzip.open(rotated[0]) as f:
        assert f.read().startswith(b"2016-10-06T")
    # upstream reads only the current file; all_files reads the kept ones, oldest first
    everything = read(p, all_files=True)
    assert everything.endswith(b"line 099\n") and read(p) in everything and len(read(p)) < len(everything)
    numbers = [int(line.split()[1]) for line in everything.splitlines()]
    assert numbers == list(range(numbers[0], 100))


def test_rotations_within_one_second_do_not_overwrite(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, max_size=100, max_files=50, compress=False, clock=Clock())  # all in one second
    data = b"".join(b"line %03d\n" % i for i in range(60))
    w.write("stdout", data)
    w.close()
    assert len(rotated_files(p)) > 10
    assert read(p, all_files=True) == data


def test_max_files_must_leave_room_for_a_rotated_file(tmp_path):
    with pytest.raises(ValueError):
        LogWriter(str(tmp_path / "0.log"), max_files=1)


def test_shim_import_stays_light():
    code = "import sys, kybernetes.kubelet.logs; print(sorted({'aiohttp', 'orjson', 'asyncio'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --------------------------------------------------------------------------- round trips

@settings(max_examples=150, deadline=None)
@given(chunks, st.integers(1, 12))
def test_chunks_read_back_as_written(parts, max_line):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "0.log")
        w = LogWriter(p, max_line=max_line, clock=Clock())
        for part in parts:
            w.write("stdout", part)
        w.flush_partial()
        w.close()
        assert read(p) == b"".join(parts)


@settings(max_examples=100, deadline=None)
@given(chunks, st.integers(1, 12), st.integers(40, 300), st.booleans())
def test_chunks_read_back_across_rotations(parts, max_line, max_size, compress):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "0.log")
        w = LogWriter(p, max_size=max_size, max_files=1000, max_line=max_line, compress=compress,
                      clock=Clock(step=300_000_000))
        for part in parts:
            w.write("stdout", part)
        w.close()
        assert read(p, all_files=True) == b"".join(parts)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["stdout", "stderr"]), st.text("xy\n", max_size=12).map(str.encode)),
                max_size=20), st.integers(1, 6))
def test_each_stream_reads_back_alone(writes, max_line):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "0.log")
        w = LogWriter(p, max_line=max_line, clock=Clock())
        for stream, data in writes:
            w.write(stream, data)
        w.close()
        for stream in ("stdout", "stderr"):
            assert read(p, stream=stream) == b"".join(data for s, data in writes if s == stream)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text("ab", max_size=9).map(str.encode), max_size=12), st.integers(1, 4), st.integers(0, 14),
       st.booleans())
def test_tail_is_the_last_lines(lines, max_line, n, unfinished):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "0.log")
        w = LogWriter(p, max_line=max_line, clock=Clock())
        data = b"".join(line + b"\n" for line in lines) + (b"end" if unfinished else b"")
        w.write("stdout", data)
        w.close()
        expected = data.splitlines(keepends=True)
        assert read(p, tail_lines=n) == b"".join(expected[max(0, len(expected) - n):] if n else [])


# --------------------------------------------------------------------------- reader options

def test_tail_lines(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, max_line=3, clock=Clock())
    w.write("stdout", b"".join(b"%d\n" % i for i in range(10)) + b"a long line\nunfinished")
    w.close()
    assert read(p, tail_lines=3) == b"9\na long line\nunfinished"
    assert read(p, tail_lines=0) == b""
    assert read(p, tail_lines=100) == read(p)


def test_since_time(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, clock=Clock(start=1_000_000_000_000_000_000, step=1_000_000_000))
    w.write("stdout", b"a\nb\nc\n")  # at 1e9 s, 1e9 + 1 s, 1e9 + 2 s
    w.close()
    assert read(p, since_time=1e9 + 1) == b"b\nc\n"  # a record at exactly since_time is shown
    assert read(p, since_time=1e9 + 1.5) == b"c\n"
    assert read(p, since_time=2e9) == b""
    assert read(p, since_time=1e9 + 1, tail_lines=1) == b"c\n"


def test_timestamps(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, max_line=4, clock=Clock(step=1000))
    w.write("stdout", b"hi\nlonger line\n")
    w.close()
    # as upstream (cri-client logs.go): a line split into P records carries only its first timestamp
    assert read(p, timestamps=True) == (b"2016-10-06T00:17:09.669794202Z hi\n"
                                        b"2016-10-06T00:17:09.669795202Z longer line\n")


def test_timestamps_are_printed_fixed_width(tmp_path):
    p = write_file(tmp_path / "0.log", "2016-10-06T00:17:09.5Z stdout F half\n"
                                       "2016-10-06T02:17:09+02:00 stderr F whole\n")
    assert read(p, timestamps=True) == (b"2016-10-06T00:17:09.500000000Z half\n"
                                        b"2016-10-06T02:17:09.000000000+02:00 whole\n")
    assert read(p, since_time=1475713029) == b"half\nwhole\n"  # "whole" is at 00:17:09Z
    assert read(p, since_time=1475713029.5) == b"half\n"
    assert read(p, since_time=1475713029.6) == b""


def test_limit_bytes_cuts_mid_line(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, max_line=3, clock=Clock())
    w.write("stdout", b"hello\nworld\n")
    w.close()
    for n in range(14):
        assert read(p, limit_bytes=n) == b"hello\nworld\n"[:n]
    assert read(p, limit_bytes=41, timestamps=True) == b"2016-10-06T00:17:09.669794202Z hello\n2016"


def test_stream_filter(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, clock=Clock())
    w.write("stdout", b"out 1\n")
    w.write("stderr", b"err 1\n")
    w.write("stdout", b"out 2\n")
    w.close()
    assert read(p, stream="stdout") == b"out 1\nout 2\n"
    assert read(p, stream="stderr") == b"err 1\n"
    assert read(p) == b"out 1\nerr 1\nout 2\n"
    assert read(p, stream="stdout", tail_lines=1) == b"out 2\n"


def test_malformed_lines_are_skipped(tmp_path):
    p = write_file(tmp_path / "0.log", "\n".join([
        "2016-10-06T00:17:09.669794202Z stdout F one",
        "garbage",
        "2016-10-06T00:17:09Z stdout",  # no tag
        "2016-10-06T00:17:09Z stdin F wrong stream",
        "yesterday stdout F bad time",
        "2016-10-06T00:17:09.669794203Z stderr P tw",
        "\x00\xff binary junk",
        "2016-10-06T00:17:09.669794204Z stderr F:future-tag o",
        "2016-10-06T00:17:09.669794205Z stdout F ",  # an empty line
        "2016-10-06T00:17:09.669794206Z stdout F no newline at the end",
    ]))
    assert read(p) == b"one\ntwo\n\nno newline at the end"


def test_missing_log_raises_at_once(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_log(str(tmp_path / "0.log"), LogOptions())


# --------------------------------------------------------------------------- follow

async def collect(agen, into: list) -> None:
    async for chunk in agen:
        into.append(chunk)


async def wait_for(cond, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_follow_sees_appends_and_rotation_and_ends_when_stopped(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, max_size=120, max_files=2, clock=Clock(step=1_000_000_000))
    w.write("stdout", b"before 1\nbefore 2\n")
    running = True
    got: list[bytes] = []
    task = asyncio.create_task(collect(
        follow_log(p, LogOptions(follow=True, tail_lines=1), still_running=lambda: running, poll=0.01), got))
    await wait_for(lambda: b"".join(got) == b"before 2\n")
    w.write("stdout", b"after 1\npart")
    await wait_for(lambda: b"".join(got) == b"before 2\nafter 1\n")
    sent = b"before 2\nafter 1\npart"
    rotations, inode = 0, os.stat(p).st_ino
    for i in range(20):  # a rotation every other line or so
        line = b"; line %02d\n" % i
        w.write("stdout", line)
        sent += line
        rotations += os.stat(p).st_ino != inode
        inode = os.stat(p).st_ino
        await wait_for(lambda sent=sent: b"".join(got) == sent)
    assert rotations > 5 and len(rotated_files(p)) == 1
    w.write("stderr", b"last words\n")
    running = False
    await asyncio.wait_for(task, 5)
    assert b"".join(got) == sent + b"last words\n"


async def test_follow_of_a_stopped_container_reads_to_the_end(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, clock=Clock())
    w.write("stdout", b"a\nb\n")
    w.write("stderr", b"c\n")
    w.close()
    got: list[bytes] = []
    opts = LogOptions(follow=True, timestamps=True, stream="stdout", limit_bytes=1000)
    await asyncio.wait_for(collect(follow_log(p, opts, still_running=lambda: False, poll=0.01), got), 5)
    assert b"".join(got) == (b"2016-10-06T00:17:09.669794202Z a\n2016-10-06T00:17:09.669794203Z b\n")


async def test_follow_stops_at_limit_bytes(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, clock=Clock())
    w.write("stdout", b"abc\n")
    got: list[bytes] = []
    task = asyncio.create_task(collect(
        follow_log(p, LogOptions(follow=True, limit_bytes=6), still_running=lambda: True, poll=0.01), got))
    await wait_for(lambda: got)
    w.write("stdout", b"defgh\n")
    await asyncio.wait_for(task, 5)
    assert b"".join(got) == b"abc\nde"
    w.close()


async def test_follow_with_all_files_starts_with_the_rotated_ones(tmp_path):
    p = str(tmp_path / "0.log")
    w = LogWriter(p, max_size=60, max_files=20, clock=Clock(step=1_000_000_000))
    data = b"".join(b"line %02d\n" % i for i in range(12))
    w.write("stdout", data)
    w.close()
    assert len(rotated_files(p)) > 2
    got: list[bytes] = []
    await asyncio.wait_for(collect(follow_log(p, LogOptions(follow=True), still_running=lambda: False,
                                              poll=0.01, all_files=True), got), 5)
    assert b"".join(got) == data
