"""SPDY/3.1 framing: frames survive any split of the byte stream, headers share one
zlib context per direction (with the SPDY/3 dictionary)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kybernetes import spdy


def test_dictionary_is_the_spdy3_one():
    import zlib
    assert len(spdy.DICTIONARY) == 1423 and zlib.adler32(spdy.DICTIONARY) == 0xE3C6A7C2


def conversation() -> bytes:
    client = spdy.Codec()
    return b"".join([
        client.syn_stream(1, {"streamtype": "error", "port": "80", "requestid": "0"}, fin=True),
        client.syn_stream(3, {"streamtype": "data", "port": "80", "requestid": "0"}),
        client.data(3, b"GET / HTTP/1.0\r\n\r\n"),
        client.data(3, b"", fin=True),
        client.ping(7),
        client.window_update(3, 1000),
        client.rst_stream(3, 5),
        client.goaway(3),
    ])


def check(frames: list[spdy.Frame]) -> None:
    kinds = [(f.kind, f.stream_id) for f in frames]
    assert kinds == [(spdy.SYN_STREAM, 1), (spdy.SYN_STREAM, 3), (0, 3), (0, 3), (spdy.PING, 0),
                     (spdy.WINDOW_UPDATE, 3), (spdy.RST_STREAM, 3), (spdy.GOAWAY, 3)]
    assert frames[0].headers == {"streamtype": "error", "port": "80", "requestid": "0"} and frames[0].fin
    assert frames[1].headers["streamtype"] == "data" and not frames[1].fin
    assert frames[2].data == b"GET / HTTP/1.0\r\n\r\n" and frames[3].fin and frames[3].data == b""
    assert frames[4].value == 7 and frames[5].value == 1000 and frames[6].value == 5


def test_round_trip():
    check(spdy.Codec().feed(conversation()))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), max_size=30))
def test_any_split_of_the_stream(cuts):
    data = conversation()
    server = spdy.Codec()
    frames, pos = [], 0
    for size in cuts:
        frames += server.feed(data[pos:pos + size])
        pos += size
    frames += server.feed(data[pos:])
    check(frames)


def test_replies_decode_on_the_other_side():
    server, client = spdy.Codec(), spdy.Codec()
    wire = server.syn_reply(1, {}) + server.syn_reply(3, {"x": "y"}) + server.data(3, b"hi", fin=True)
    frames = client.feed(wire)
    assert [(f.kind, f.stream_id, f.headers) for f in frames[:2]] == [(spdy.SYN_REPLY, 1, {}),
                                                                      (spdy.SYN_REPLY, 3, {"x": "y"})]
    assert frames[2].data == b"hi" and frames[2].fin
