"""SPDY/3.1 framing, as kubectl's streams use it (the port-forward tunnel inside a
WebSocket, and the SPDY upgrade older clients use).

A frame is either a data frame (stream id, flags, payload) or a control frame (version
3, type, flags, payload). Header blocks travel zlib-compressed with the SPDY/3
dictionary, one compression context per direction for the whole connection. SPDY/3.1
adds flow control: the receiver grants window with WINDOW_UPDATE frames.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Frame", "Codec", "SYN_STREAM", "SYN_REPLY", "RST_STREAM", "SETTINGS", "PING", "GOAWAY", "HEADERS",
           "WINDOW_UPDATE", "FLAG_FIN", "DEFAULT_WINDOW"]

DICTIONARY = (Path(__file__).resolve().parent / "data" / "spdy3-zlib-dictionary.bin").read_bytes()
VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
DEFAULT_WINDOW = 64 * 1024


@dataclass
class Frame:
    """A data frame (``kind`` 0) or a control frame of type ``kind``."""
    kind: int
    stream_id: int = 0
    flags: int = 0
    data: bytes = b""                      # data frames: the payload
    headers: dict[str, str] = field(default_factory=dict)   # SYN_STREAM/SYN_REPLY/HEADERS
    value: int = 0                         # RST_STREAM/GOAWAY status, PING id, WINDOW_UPDATE delta

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


class Codec:
    """Parses a byte stream into frames and encodes frames, for one connection."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(zdict=DICTIONARY)

    # ------------------------------------------------------------------ reading
    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        while len(self._buffer) >= 8:
            length = int.from_bytes(self._buffer[5:8], "big")
            if len(self._buffer) < 8 + length:
                break
            head, payload = bytes(self._buffer[:8]), bytes(self._buffer[8:8 + length])
            del self._buffer[:8 + length]
            frame = self._parse(head, payload)
            if frame is not None:
                frames.append(frame)
        return frames

    def _parse(self, head: bytes, payload: bytes) -> Frame | None:
        first, flags = struct.unpack(">I", head[:4])[0], head[4]
        if not first & 0x80000000:
            return Frame(0, stream_id=first & 0x7FFFFFFF, flags=flags, data=payload)
        kind = first & 0xFFFF
        if kind in (SYN_STREAM, SYN_REPLY, HEADERS):
            stream_id = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
            block = payload[10:] if kind == SYN_STREAM else payload[4:]
            return Frame(kind, stream_id=stream_id, flags=flags, headers=self._decode_headers(block))
        if kind in (RST_STREAM, WINDOW_UPDATE):
            stream_id, value = struct.unpack(">II", payload[:8])
            return Frame(kind, stream_id=stream_id & 0x7FFFFFFF, flags=flags, value=value & 0x7FFFFFFF)
        if kind == PING:
            return Frame(kind, value=struct.unpack(">I", payload[:4])[0])
        if kind == GOAWAY:
            return Frame(kind, stream_id=struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF)
        return Frame(kind, flags=flags)          # SETTINGS and the rest: nothing we act on

    def _decode_headers(self, block: bytes) -> dict[str, str]:
        raw = self._inflate.decompress(block)
        count = struct.unpack(">I", raw[:4])[0]
        pos, out = 4, {}
        for _ in range(count):
            n = struct.unpack(">I", raw[pos:pos + 4])[0]
            name = raw[pos + 4:pos + 4 + n].decode()
            pos += 4 + n
            n = struct.unpack(">I", raw[pos:pos + 4])[0]
            out[name] = raw[pos + 4:pos + 4 + n].decode()
            pos += 4 + n
        return out

    # ------------------------------------------------------------------ writing
    def _encode_headers(self, headers: dict[str, str]) -> bytes:
        raw = struct.pack(">I", len(headers))
        for name, value in headers.items():
            n, v = name.lower().encode(), value.encode()
            raw += struct.pack(">I", len(n)) + n + struct.pack(">I", len(v)) + v
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    @staticmethod
    def _control(kind: int, flags: int, payload: bytes) -> bytes:
        return struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(payload)) + payload

    def data(self, stream_id: int, data: bytes, *, fin: bool = False) -> bytes:
        return struct.pack(">II", stream_id & 0x7FFFFFFF, ((FLAG_FIN if fin else 0) << 24) | len(data)) + data

    def syn_reply(self, stream_id: int, headers: dict[str, str], *, fin: bool = False) -> bytes:
        return self._control(SYN_REPLY, FLAG_FIN if fin else 0,
                             struct.pack(">I", stream_id) + self._encode_headers(headers))

    def syn_stream(self, stream_id: int, headers: dict[str, str], *, fin: bool = False) -> bytes:
        return self._control(SYN_STREAM, FLAG_FIN if fin else 0,
                             struct.pack(">IIH", stream_id, 0, 0) + self._encode_headers(headers))

    def rst_stream(self, stream_id: int, status: int) -> bytes:
        return self._control(RST_STREAM, 0, struct.pack(">II", stream_id, status))

    def ping(self, ping_id: int) -> bytes:
        return self._control(PING, 0, struct.pack(">I", ping_id))

    def window_update(self, stream_id: int, delta: int) -> bytes:
        return self._control(WINDOW_UPDATE, 0, struct.pack(">II", stream_id, delta))

    def goaway(self, last_stream_id: int, status: int = 0) -> bytes:
        return self._control(GOAWAY, 0, struct.pack(">II", last_stream_id, status))
