"""Kubernetes protobuf (``application/vnd.kubernetes.protobuf``) <-> JSON dicts.

kubectl 1.32+ sends the bodies of typed writes (``create namespace``,
``create deployment``, ``auth can-i`` ...) as protobuf, and typed clients accept
protobuf answers. This module converts between that wire format and the plain
JSON-shaped dicts the rest of the server works with.

The layout of every message comes from ``data/k8s-protobuf-fields.json``, a
table built from the upstream ``generated.proto`` files plus the Go struct tags
(JSON names, pointer-ness, ``omitempty``). The table is loaded once, on first
use, and compiled into small per-message field maps (by field number for
decoding, by ascending number for encoding, in Go struct order for JSON output).

Wire format (as gogo's marshaller writes it):

* a body is ``k8s\\x00`` followed by a ``runtime.Unknown`` envelope
  ``{1 typeMeta{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}``
  whose ``raw`` holds the typed message (which has no TypeMeta of its own);
* non-pointer scalars and messages are always written, pointers only when set,
  repeated fields one element per entry, maps as key-sorted entry messages;
* a watch stream is a sequence of 4-byte big-endian length-prefixed bare
  ``meta/v1 WatchEvent`` messages whose ``object.raw`` holds a full envelope.

JSON shape follows Go's ``encoding/json`` on the typed struct: int64 as a JSON
number, bytes as padded standard base64, ``omitempty`` dropping zero scalars,
nil pointers and empty lists/maps (never non-pointer structs), and a handful of
"special" messages with a JSON form of their own (Time, MicroTime, Duration,
IntOrString, Quantity, RawExtension-like raw JSON, string-list wrappers and the
apiextensions JSONSchemaPropsOr* unions).
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import threading
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import orjson

__all__ = [
    "MAGIC",
    "MEDIA_TYPE",
    "WATCH_MEDIA_TYPE",
    "ProtobufError",
    "decode",
    "decode_watch_stream",
    "encode",
    "encode_watch_event",
    "message_name",
    "supports",
]

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
WATCH_MEDIA_TYPE = MEDIA_TYPE + ";stream=watch"

_TABLE_FILE = "k8s-protobuf-fields.json"
_WATCH_EVENT = "k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent"


class ProtobufError(ValueError):
    """Malformed protobuf input, an unknown kind, or a value that cannot be encoded."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------
# Compiled table
# --------------------------------------------------------------------------

# Field kinds.
K_STRING, K_INT32, K_INT64, K_BOOL, K_DOUBLE, K_BYTES, K_MSG, K_MAP = range(8)
_KIND_OF_TYPE = {
    "string": K_STRING,
    "int32": K_INT32,
    "int64": K_INT64,
    "bool": K_BOOL,
    "double": K_DOUBLE,
    "bytes": K_BYTES,
    "message": K_MSG,
    "map": K_MAP,
}
# Wire types per kind.
_WT_OF_KIND = {K_STRING: 2, K_INT32: 0, K_INT64: 0, K_BOOL: 0, K_DOUBLE: 1, K_BYTES: 2, K_MSG: 2, K_MAP: 2}

# Special messages.
(
    SP_NONE,
    SP_TIME,
    SP_MICROTIME,
    SP_DURATION,
    SP_INTORSTRING,
    SP_QUANTITY,
    SP_RAWJSON,
    SP_ITEMS,
    SP_UNKNOWN,
    SP_OR_ARRAY,
    SP_OR_BOOL,
    SP_OR_STRARRAY,
) = range(12)
_SPECIAL_CODES = {
    None: SP_NONE,
    "time": SP_TIME,
    "microtime": SP_MICROTIME,
    "duration": SP_DURATION,
    "intorstring": SP_INTORSTRING,
    "quantity": SP_QUANTITY,
    "rawjson": SP_RAWJSON,
    "items": SP_ITEMS,
    "unknown": SP_UNKNOWN,
    "schemaorarray": SP_OR_ARRAY,
    "schemaorbool": SP_OR_BOOL,
    "schemaorstringarray": SP_OR_STRARRAY,
}

# How omitempty/omitzero treat a field's JSON value.
OMIT_NEVER, OMIT_NONE, OMIT_FALSY = 0, 1, 2

_ZERO_SCALAR: dict[int, Any] = {K_STRING: "", K_INT32: 0, K_INT64: 0, K_BOOL: False, K_DOUBLE: 0.0}


class _Msg:
    __slots__ = ("name", "special", "fields", "wire", "by_num", "pos_of", "always", "always_sorted")

    def __init__(self, name: str, special: int) -> None:
        self.name = name
        self.special = special
        self.fields: tuple[_Field, ...] = ()  # Go struct (= JSON) order
        self.wire: tuple[_Field, ...] = ()  # ascending field number
        self.by_num: dict[int, _Field] = {}
        self.pos_of: dict[int, int] = {}  # field number -> index in ``fields``
        # Indices of the fields that appear in JSON even when absent on the wire.
        self.always: frozenset[int] = frozenset()
        self.always_sorted: tuple[int, ...] = ()

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<protobuf message {self.name}>"


class _Field:
    __slots__ = (
        "num",
        "json",
        "kind",
        "repeated",
        "ptr",
        "inline",
        "omit",
        "msg",
        "vkind",
        "vmsg",
        "wt",
        "tag",
        "zero_bytes",
        "skip_if_none",
        "label",
        "absent",
        "absent_value",
    )

    num: int
    json: str | None
    kind: int
    repeated: bool
    ptr: bool
    inline: bool
    omit: int
    msg: _Msg | None
    vkind: int
    vmsg: _Msg | None
    wt: int
    tag: bytes
    zero_bytes: bytes
    skip_if_none: bool
    label: str
    absent: int
    absent_value: Any


class _Table:
    __slots__ = ("messages", "kinds")

    def __init__(self, messages: dict[str, _Msg], kinds: dict[str, str]) -> None:
        self.messages = messages
        self.kinds = kinds


_table: _Table | None = None
_table_lock = threading.Lock()


def _get_table() -> _Table:
    t = _table
    if t is None:
        t = _load_table()
    return t


def _load_table() -> _Table:
    global _table
    with _table_lock:
        if _table is None:
            data = orjson.loads(resources.files("kybernetes").joinpath("data", _TABLE_FILE).read_bytes())
            _table = _compile(data)
        return _table


def _compile(data: dict[str, Any]) -> _Table:
    raw_msgs: dict[str, Any] = data["messages"]
    msgs = {name: _Msg(name, _SPECIAL_CODES[spec.get("special")]) for name, spec in raw_msgs.items()}
    for name, spec in raw_msgs.items():
        m = msgs[name]
        fields = []
        for fd in spec["fields"]:
            f = _Field()
            f.num = fd["number"]
            f.json = fd["json"]
            f.kind = _KIND_OF_TYPE[fd["type"]]
            f.repeated = fd["label"] == "repeated" and f.kind != K_MAP
            f.ptr = bool(fd.get("ptr"))
            f.inline = bool(fd.get("inline"))
            f.label = f"{name.rsplit('.', 1)[-1]}.{fd['json'] or fd['name']}"
            f.msg = f.vmsg = None
            f.vkind = -1
            if f.kind == K_MSG:
                f.msg = msgs[fd["message"]]
            elif f.kind == K_MAP:
                f.vkind = _KIND_OF_TYPE[fd["value"]]
                if f.vkind == K_MSG:
                    f.vmsg = msgs[fd["message"]]
            f.wt = _WT_OF_KIND[f.kind]
            f.tag = _varint_bytes((f.num << 3) | f.wt)
            f.zero_bytes = b""
            if f.kind in _ZERO_SCALAR and not f.repeated:
                f.zero_bytes = f.tag + (b"\x00" * 8 if f.kind == K_DOUBLE else b"\x00")
            sp = f.msg.special if f.msg is not None else SP_NONE
            # Go writes a nil pointer, a nil []string wrapper (Verbs, ExtraValue) not at all.
            f.skip_if_none = f.ptr or sp == SP_ITEMS
            f.omit = _omit_rule(fd, f, sp)
            fields.append(f)
        for f in fields:
            _set_absent_rule(f)
        m.pos_of = {f.num: i for i, f in enumerate(fields)}
        m.always_sorted = tuple(i for i, f in enumerate(fields) if f.absent != ABSENT_SKIP)
        m.always = frozenset(m.always_sorted)
        m.fields = tuple(fields)
        m.wire = tuple(sorted(fields, key=lambda x: x.num))
        m.by_num = {f.num: f for f in fields}
    return _Table(msgs, dict(data["kinds"]))


def _omit_rule(fd: dict[str, Any], f: _Field, sp: int) -> int:
    omitempty = bool(fd.get("omitempty"))
    if f.kind == K_MSG and not f.repeated:
        if f.ptr:
            return OMIT_NONE if omitempty else OMIT_NEVER
        if sp == SP_ITEMS:  # a Go slice type: omitempty drops nil and empty
            return OMIT_FALSY if omitempty else OMIT_NEVER
        if fd.get("omitzero"):  # metav1.Time: zero renders as None
            return OMIT_NONE
        return OMIT_NEVER  # omitempty never drops a struct
    if not omitempty:
        return OMIT_NEVER
    if f.ptr and not f.repeated and f.kind != K_MAP:
        return OMIT_NONE
    return OMIT_FALSY


# What a field that is missing from the wire turns into in JSON.
ABSENT_SKIP, ABSENT_CONST, ABSENT_DECODE = 0, 1, 2
_CONST_SPECIALS = {SP_TIME: None, SP_MICROTIME: None, SP_DURATION: "0s", SP_INTORSTRING: 0,
                   SP_QUANTITY: "0", SP_RAWJSON: None, SP_ITEMS: None}


def _set_absent_rule(f: _Field) -> None:
    f.absent_value = None
    if f.repeated or f.kind == K_MAP or f.ptr or f.kind == K_BYTES:
        value: Any = None
    elif f.kind == K_MSG:
        sp = f.msg.special  # type: ignore[union-attr]
        if sp not in _CONST_SPECIALS or f.inline:
            f.absent = ABSENT_DECODE
            return
        value = _CONST_SPECIALS[sp]
    else:
        value = _ZERO_SCALAR[f.kind]
    if f.omit == OMIT_NONE and value is None or f.omit == OMIT_FALSY and not value:
        f.absent = ABSENT_SKIP
    else:
        f.absent = ABSENT_CONST
        f.absent_value = value


def _lookup(api_version: str, kind: str) -> _Msg:
    t = _get_table()
    name = t.kinds.get(f"{api_version}/{kind}")
    if name is None:
        raise ProtobufError(f"no protobuf serialization known for {api_version or '<none>'}, Kind={kind or '<none>'}")
    return t.messages[name]


def supports(api_version: str, kind: str) -> bool:
    """Whether ``apiVersion``/``kind`` has a protobuf form (built-in types only)."""
    return f"{api_version}/{kind}" in _get_table().kinds


def message_name(api_version: str, kind: str) -> str | None:
    """The full proto message name for ``apiVersion``/``kind``, or None."""
    return _get_table().kinds.get(f"{api_version}/{kind}")


# --------------------------------------------------------------------------
# Varints
# --------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1


def _varint_bytes(v: int) -> bytes:
    v &= _MASK64
    if v < 0x80:
        return bytes((v,))
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _put_varint(out: bytearray, v: int) -> None:
    if 0 <= v < 0x80:
        out.append(v)
        return
    v &= _MASK64
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & _MASK64, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError("malformed varint")


def _to_int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - 0x100000000 if v >= 0x80000000 else v


def _to_int64(v: int) -> int:
    return v - 0x10000000000000000 if v >= 0x8000000000000000 else v


def _double_json(raw: bytes) -> float | int:
    d = struct.unpack("<d", raw)[0]
    # Go prints integral float64 values without a fraction ("1", not "1.0").
    if d.is_integer() and abs(d) < 1e21:
        return int(d)
    return d


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------


def _scan(m: _Msg, buf: bytes, pos: int, end: int) -> dict[int, list[Any]]:
    """Collect the raw values of the fields ``m`` knows, keyed by field number.

    Varints come back as unsigned ints, fixed64 as 8-byte strings and
    length-delimited values as ``(start, end)`` offsets into ``buf``.
    Unknown field numbers are skipped; packed repeated scalars are unpacked.
    """
    vals: dict[int, list[Any]] = {}
    by_num = m.by_num
    while pos < end:
        key = buf[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = _read_varint(buf, pos)
        num = key >> 3
        wt = key & 7
        if wt == 2:
            ln = buf[pos]
            if ln < 0x80:
                pos += 1
            else:
                ln, pos = _read_varint(buf, pos)
            e = pos + ln
            if e > end:
                raise ProtobufError(f"{m.name}: field {num} runs past the end of its message")
            v: Any = (pos, e)
            pos = e
        elif wt == 0:
            v = buf[pos]
            if v < 0x80:
                pos += 1
            else:
                v, pos = _read_varint(buf, pos)
        elif wt == 1:
            if pos + 8 > end:
                raise ProtobufError(f"{m.name}: truncated fixed64 field {num}")
            v = buf[pos : pos + 8]
            pos += 8
        elif wt == 5:
            if pos + 4 > end:
                raise ProtobufError(f"{m.name}: truncated fixed32 field {num}")
            v = buf[pos : pos + 4]
            pos += 4
        else:
            raise ProtobufError(f"{m.name}: unsupported wire type {wt} for field {num}")
        if num == 0:
            raise ProtobufError(f"{m.name}: illegal field number 0")
        f = by_num.get(num)
        if f is None:
            continue
        if wt != f.wt:
            if wt == 2 and f.repeated and f.wt in (0, 1):
                packed = _unpack(f, buf, v[0], v[1])
                lst = vals.get(num)
                if lst is None:
                    vals[num] = packed
                else:
                    lst.extend(packed)
                continue
            raise ProtobufError(f"{f.label}: wrong wire type {wt} for field {num}, want {f.wt}")
        lst = vals.get(num)
        if lst is None:
            vals[num] = [v]
        else:
            lst.append(v)
    if pos != end:
        raise ProtobufError(f"{m.name}: truncated message")
    return vals


def _unpack(f: _Field, buf: bytes, pos: int, end: int) -> list[Any]:
    out: list[Any] = []
    if f.wt == 1:
        if (end - pos) % 8:
            raise ProtobufError(f"{f.label}: bad packed fixed64 length")
        for p in range(pos, end, 8):
            out.append(buf[p : p + 8])
        return out
    while pos < end:
        v, pos = _read_varint(buf, pos)
        out.append(v)
    if pos != end:
        raise ProtobufError(f"{f.label}: truncated packed field")
    return out


def _string(buf: bytes, se: tuple[int, int]) -> str:
    # proto2 strings are not validated; Go's encoding/json replaces bad UTF-8.
    return str(buf[se[0] : se[1]], "utf-8", "replace")


def _scalar_json(kind: int, v: Any, buf: bytes) -> Any:
    if kind == K_STRING:
        return str(buf[v[0] : v[1]], "utf-8", "replace")
    if kind == K_INT32:
        return _to_int32(v)
    if kind == K_INT64:
        return _to_int64(v)
    if kind == K_BOOL:
        return v != 0
    if kind == K_BYTES:
        return base64.b64encode(buf[v[0] : v[1]]).decode("ascii")
    if kind == K_DOUBLE:
        return _double_json(v)
    raise ProtobufError(f"unexpected field kind {kind}")  # pragma: no cover


def _sub_message(m: _Msg, buf: bytes, items: list[tuple[int, int]]) -> Any:
    if len(items) == 1:
        s, e = items[0]
        return _msg_json(m, buf, s, e)
    # A singular message seen several times: protobuf merges them, which is
    # the same as decoding the concatenation.
    joined = b"".join(buf[s:e] for s, e in items)
    return _msg_json(m, joined, 0, len(joined))


def _field_json(f: _Field, items: list[Any] | None, buf: bytes) -> Any:
    kind = f.kind
    if items is None:
        if f.repeated or kind == K_MAP or f.ptr or kind == K_BYTES:
            return None
        if kind == K_MSG:
            return _msg_json(f.msg, b"", 0, 0)  # type: ignore[arg-type]
        return _ZERO_SCALAR[kind]
    if kind == K_MSG:
        msg = f.msg
        if f.repeated:
            return [_msg_json(msg, buf, s, e) for s, e in items]  # type: ignore[arg-type]
        return _sub_message(msg, buf, items)  # type: ignore[arg-type]
    if kind == K_MAP:
        d: dict[str, Any] = {}
        for s, e in items:
            k, v = _map_entry(f, buf, s, e)
            d[k] = v
        return d
    if f.repeated:
        if kind == K_STRING:
            return [str(buf[s:e], "utf-8", "replace") for s, e in items]
        return [_scalar_json(kind, v, buf) for v in items]
    return _scalar_json(kind, items[-1], buf)


def _map_entry(f: _Field, buf: bytes, pos: int, end: int) -> tuple[str, Any]:
    key = ""
    val: Any = None
    have_val = False
    vkind = f.vkind
    want_wt = _WT_OF_KIND[vkind]
    msg_parts: list[tuple[int, int]] = []
    while pos < end:
        tag, pos = _read_varint(buf, pos)
        num = tag >> 3
        wt = tag & 7
        if wt == 2:
            ln, pos = _read_varint(buf, pos)
            e = pos + ln
            if e > end:
                raise ProtobufError(f"{f.label}: map entry runs past its end")
            raw: Any = (pos, e)
            pos = e
        elif wt == 0:
            raw, pos = _read_varint(buf, pos)
        elif wt == 1:
            raw = buf[pos : pos + 8]
            pos += 8
        elif wt == 5:
            raw = buf[pos : pos + 4]
            pos += 4
        else:
            raise ProtobufError(f"{f.label}: unsupported wire type {wt} in map entry")
        if num == 1:
            if wt != 2:
                raise ProtobufError(f"{f.label}: map key has wire type {wt}")
            key = _string(buf, raw)
        elif num == 2:
            if wt != want_wt:
                raise ProtobufError(f"{f.label}: map value has wire type {wt}, want {want_wt}")
            if vkind == K_MSG:
                msg_parts.append(raw)
            else:
                val = _scalar_json(vkind, raw, buf)
            have_val = True
    if pos != end:
        raise ProtobufError(f"{f.label}: truncated map entry")
    if vkind == K_MSG:
        if msg_parts:
            val = _sub_message(f.vmsg, buf, msg_parts)  # type: ignore[arg-type]
        else:
            val = _msg_json(f.vmsg, b"", 0, 0)  # type: ignore[arg-type]
    elif not have_val and vkind != K_BYTES:
        val = _ZERO_SCALAR[vkind]
    return key, val


def _msg_json(m: _Msg, buf: bytes, pos: int, end: int) -> Any:
    if m.special:
        return _special_json(m, buf, pos, end)
    fields = m.fields
    if pos < end:
        vals = _scan(m, buf, pos, end)
        # Visit only the fields present on the wire plus those JSON always shows,
        # in Go struct order.
        order: Any = sorted(m.always.union(map(m.pos_of.__getitem__, vals))) if vals else m.always_sorted
    else:
        vals = {}
        order = m.always_sorted
    out: dict[str, Any] = {}
    for i in order:
        f = fields[i]
        items = vals.get(f.num)
        if items is None:
            absent = f.absent
            if absent == ABSENT_SKIP:
                continue
            if absent == ABSENT_CONST:
                out[f.json] = f.absent_value  # type: ignore[index]
                continue
        v = _field_json(f, items, buf)
        if f.inline:
            if v:
                out.update(v)
            continue
        omit = f.omit
        if omit:
            if omit == OMIT_NONE:
                if v is None:
                    continue
            elif not v:
                continue
        out[f.json] = v  # type: ignore[index]
    return out


def _special_json(m: _Msg, buf: bytes, pos: int, end: int) -> Any:
    sp = m.special
    if sp == SP_TIME or sp == SP_MICROTIME:
        if pos == end:
            return None  # zero time: an empty message
        vals = _scan(m, buf, pos, end)
        secs = _to_int64(vals[1][-1]) if 1 in vals else 0
        nanos = _to_int32(vals[2][-1]) if 2 in vals else 0
        return _format_time(secs, nanos, micro=sp == SP_MICROTIME)
    vals = _scan(m, buf, pos, end)
    if sp == SP_QUANTITY:
        s = _string(buf, vals[1][-1]) if 1 in vals else ""
        return s or "0"
    if sp == SP_INTORSTRING:
        typ = _to_int64(vals[1][-1]) if 1 in vals else 0
        if typ == 1:
            return _string(buf, vals[3][-1]) if 3 in vals else ""
        if typ != 0:
            raise ProtobufError(f"impossible IntOrString.Type {typ}")
        return _to_int32(vals[2][-1]) if 2 in vals else 0
    if sp == SP_DURATION:
        return _format_duration(_to_int64(vals[1][-1]) if 1 in vals else 0)
    if sp == SP_RAWJSON:
        if 1 not in vals:
            return None
        s, e = vals[1][-1]
        return _raw_json(buf[s:e])
    if sp == SP_ITEMS:
        items = vals.get(1)
        if not items:
            return None
        return [_string(buf, se) for se in items]
    by_num = m.by_num
    if sp == SP_OR_ARRAY:
        if 2 in vals:
            return _field_json(by_num[2], vals[2], buf)
        return _field_json(by_num[1], vals.get(1), buf)
    if sp == SP_OR_BOOL:
        if 2 in vals:
            return _field_json(by_num[2], vals[2], buf)
        return bool(1 in vals and vals[1][-1])
    if sp == SP_OR_STRARRAY:
        if 2 in vals:
            return _field_json(by_num[2], vals[2], buf)
        return _field_json(by_num[1], vals.get(1), buf)
    if sp == SP_UNKNOWN:
        return _decode_unknown(buf, pos, end)
    raise ProtobufError(f"{m.name}: unhandled special message")  # pragma: no cover


def _raw_json(raw: bytes) -> Any:
    if not raw:
        return None
    if raw.startswith(MAGIC):  # a nested protobuf object (watch events, lists)
        return _decode_envelope(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ProtobufError(f"embedded raw object is not valid JSON: {exc}") from None


_UNKNOWN = "k8s.io.apimachinery.pkg.runtime.Unknown"
_TYPE_META = "k8s.io.apimachinery.pkg.runtime.TypeMeta"


def _decode_unknown(buf: bytes, pos: int, end: int) -> dict[str, Any]:
    t = _get_table()
    vals = _scan(t.messages[_UNKNOWN], buf, pos, end)
    api_version = kind = ""
    if 1 in vals:
        tm = _scan(t.messages[_TYPE_META], buf, *vals[1][-1])
        if 1 in tm:
            api_version = _string(buf, tm[1][-1])
        if 2 in tm:
            kind = _string(buf, tm[2][-1])
    encoding = _string(buf, vals[3][-1]) if 3 in vals else ""
    content_type = _string(buf, vals[4][-1]) if 4 in vals else ""
    if encoding:
        raise ProtobufError(f"unsupported content encoding {encoding!r} in protobuf envelope")
    if content_type and content_type.split(";", 1)[0].strip() != MEDIA_TYPE:
        raise ProtobufError(f"unsupported content type {content_type!r} in protobuf envelope")
    if not kind:
        raise ProtobufError("protobuf envelope has no kind")
    m = _lookup(api_version, kind)
    out: dict[str, Any] = {"kind": kind, "apiVersion": api_version}
    if 2 in vals:
        s, e = vals[2][-1]
        body = _msg_json(m, buf, s, e)
    else:
        body = _msg_json(m, b"", 0, 0)
    out.update(body)
    return out


def _decode_envelope(body: bytes) -> dict[str, Any]:
    if not body.startswith(MAGIC):
        raise ProtobufError("protobuf body does not start with the k8s\\x00 prefix")
    return _decode_unknown(body, len(MAGIC), len(body))


def decode(body: bytes) -> dict[str, Any]:
    """Decode a ``k8s\\x00`` + runtime.Unknown body into a Go-shaped JSON dict."""
    buf = bytes(body) if not isinstance(body, bytes) else body
    try:
        return _decode_envelope(buf)
    except ProtobufError:
        raise
    except (IndexError, ValueError, struct.error, RecursionError, OverflowError) as exc:
        raise ProtobufError(f"malformed protobuf body: {exc}") from None


def decode_watch_stream(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Split a protobuf watch stream into ``(type, object)`` pairs.

    ``data`` is one or more frames: a 4-byte big-endian length and a bare
    meta/v1 WatchEvent whose ``object.raw`` is a full ``k8s\\x00`` envelope.
    """
    buf = bytes(data)
    t = _get_table()
    wm = t.messages[_WATCH_EVENT]
    events: list[tuple[str, dict[str, Any]]] = []
    pos = 0
    try:
        while pos < len(buf):
            if pos + 4 > len(buf):
                raise ProtobufError("truncated watch frame header")
            n = int.from_bytes(buf[pos : pos + 4], "big")
            pos += 4
            if pos + n > len(buf):
                raise ProtobufError("truncated watch frame")
            vals = _scan(wm, buf, pos, pos + n)
            etype = _string(buf, vals[1][-1]) if 1 in vals else ""
            obj: Any = None
            if 2 in vals:
                obj = _msg_json(wm.by_num[2].msg, buf, *vals[2][-1])  # type: ignore[arg-type]
            events.append((etype, obj))
            pos += n
    except ProtobufError:
        raise
    except (IndexError, ValueError, struct.error, RecursionError, OverflowError) as exc:
        raise ProtobufError(f"malformed protobuf watch stream: {exc}") from None
    return events


# --------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------


def _type_error(f: _Field | str, want: str, v: Any) -> ProtobufError:
    label = f if isinstance(f, str) else f.label
    return ProtobufError(f"{label}: expected {want}, got {type(v).__name__}")


def _as_int(f: _Field | str, v: Any) -> int:
    if type(v) is int:
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    raise _type_error(f, "integer", v)


def _put_bytes(out: bytearray, tag: bytes, b: bytes) -> None:
    out += tag
    n = len(b)
    if n < 0x80:
        out.append(n)
    else:
        _put_varint(out, n)
    out += b


def _enc_scalar(f: _Field, kind: int, tag: bytes, v: Any, out: bytearray) -> None:
    if kind == K_STRING:
        if type(v) is not str:
            if not isinstance(v, str):
                raise _type_error(f, "string", v)
        _put_bytes(out, tag, v.encode("utf-8"))
    elif kind == K_INT32 or kind == K_INT64:
        n = _as_int(f, v)
        if kind == K_INT32:
            if not -0x80000000 <= n <= 0x7FFFFFFF:
                raise ProtobufError(f"{f.label}: {n} does not fit in int32")
        elif not -0x8000000000000000 <= n <= 0x7FFFFFFFFFFFFFFF:
            raise ProtobufError(f"{f.label}: {n} does not fit in int64")
        out += tag
        _put_varint(out, n)
    elif kind == K_BOOL:
        if not isinstance(v, bool):
            raise _type_error(f, "boolean", v)
        out += tag
        out.append(1 if v else 0)
    elif kind == K_BYTES:
        if isinstance(v, str):
            try:
                b = base64.b64decode(v, validate=True)
            except (binascii.Error, ValueError):
                raise ProtobufError(f"{f.label}: illegal base64 data") from None
        elif isinstance(v, (bytes, bytearray, memoryview)):
            b = bytes(v)
        else:
            raise _type_error(f, "base64 string", v)
        _put_bytes(out, tag, b)
    elif kind == K_DOUBLE:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _type_error(f, "number", v)
        out += tag
        out += struct.pack("<d", float(v))
    else:  # pragma: no cover
        raise ProtobufError(f"{f.label}: unexpected field kind {kind}")


def _enc_sub(tag: bytes, m: _Msg, v: Any, out: bytearray) -> None:
    sub = bytearray()
    _enc_msg(m, v, sub)
    _put_bytes(out, tag, sub)


def _enc_msg(m: _Msg, obj: Any, out: bytearray) -> None:
    if m.special:
        _enc_special(m, obj, out)
        return
    if obj is None:
        obj = {}
    elif not isinstance(obj, dict):
        raise ProtobufError(f"{m.name.rsplit('.', 1)[-1]}: expected object, got {type(obj).__name__}")
    get = obj.get
    for f in m.wire:
        v = obj if f.inline else get(f.json)
        kind = f.kind
        if kind == K_MSG:
            if f.repeated:
                if v is None:
                    continue
                if not isinstance(v, list):
                    raise _type_error(f, "array", v)
                msg = f.msg
                tag = f.tag
                for item in v:
                    _enc_sub(tag, msg, item, out)  # type: ignore[arg-type]
            elif v is None and f.skip_if_none:
                continue
            else:
                _enc_sub(f.tag, f.msg, v, out)  # type: ignore[arg-type]
        elif kind == K_MAP:
            if not v:
                if v is None or isinstance(v, dict):
                    continue
                raise _type_error(f, "object", v)
            if not isinstance(v, dict):
                raise _type_error(f, "object", v)
            _enc_map(f, v, out)
        elif f.repeated:
            if v is None:
                continue
            if not isinstance(v, list):
                raise _type_error(f, "array", v)
            tag = f.tag
            for item in v:
                if item is None:
                    item = _ZERO_SCALAR.get(kind, b"")
                _enc_scalar(f, kind, tag, item, out)
        elif v is None:
            if f.ptr or kind == K_BYTES:
                continue
            out += f.zero_bytes
        else:
            _enc_scalar(f, kind, f.tag, v, out)


_MAP_KEY_TAG = b"\x0a"


def _enc_map(f: _Field, d: dict[str, Any], out: bytearray) -> None:
    vkind = f.vkind
    vtag = _varint_bytes((2 << 3) | _WT_OF_KIND[vkind])
    tag = f.tag
    for k in sorted(d):
        if not isinstance(k, str):
            raise _type_error(f.label + " key", "string", k)
        v = d[k]
        entry = bytearray()
        _put_bytes(entry, _MAP_KEY_TAG, k.encode("utf-8"))
        if vkind == K_MSG:
            _enc_sub(vtag, f.vmsg, v, entry)  # type: ignore[arg-type]
        elif v is None:
            if vkind != K_BYTES:  # a nil []byte value is left out; others write their zero
                _enc_scalar(f, vkind, vtag, _ZERO_SCALAR[vkind], entry)
        else:
            _enc_scalar(f, vkind, vtag, v, entry)
        _put_bytes(out, tag, entry)


_T1_VARINT = b"\x08"
_T2_VARINT = b"\x10"
_T1_BYTES = b"\x0a"
_T2_BYTES = b"\x12"
_T3_BYTES = b"\x1a"


def _enc_special(m: _Msg, v: Any, out: bytearray) -> None:
    sp = m.special
    label = m.name.rsplit(".", 1)[-1]
    if sp == SP_TIME or sp == SP_MICROTIME:
        if v is None:
            return
        if not isinstance(v, str):
            raise _type_error(label, "RFC 3339 time string", v)
        secs, nanos = _parse_time(v)
        if secs == _ZERO_TIME_SECS and nanos == 0:
            return  # Go's zero time marshals as an empty message
        out += _T1_VARINT
        _put_varint(out, secs)
        out += _T2_VARINT
        _put_varint(out, nanos)
    elif sp == SP_QUANTITY:
        if v is None:
            s = "0"
        elif isinstance(v, str):
            s = v
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _type_error(label, "quantity string", v)
        elif isinstance(v, float) and v.is_integer():
            s = str(int(v))
        else:
            s = repr(v)
        _put_bytes(out, _T1_BYTES, s.encode("utf-8"))
    elif sp == SP_INTORSTRING:
        if isinstance(v, str):
            out += b"\x08\x01\x10\x00"
            _put_bytes(out, _T3_BYTES, v.encode("utf-8"))
        else:
            n = 0 if v is None else _as_int(label, v)
            if not -0x80000000 <= n <= 0x7FFFFFFF:
                raise ProtobufError(f"{label}: {n} does not fit in int32")
            out += b"\x08\x00\x10"
            _put_varint(out, n)
            out += b"\x1a\x00"
    elif sp == SP_DURATION:
        if v is None:
            ns = 0
        elif isinstance(v, str):
            ns = _parse_duration(v)
        else:
            ns = _as_int(label, v)
        out += _T1_VARINT
        _put_varint(out, ns)
    elif sp == SP_RAWJSON:
        if v is None:
            return
        try:
            raw = orjson.dumps(v)
        except TypeError as exc:
            raise ProtobufError(f"{label}: cannot serialize embedded object: {exc}") from None
        _put_bytes(out, _T1_BYTES, raw)
    elif sp == SP_ITEMS:
        if v is None:
            return
        if not isinstance(v, list):
            raise _type_error(label, "array of strings", v)
        for item in v:
            if not isinstance(item, str):
                raise _type_error(label, "string", item)
            _put_bytes(out, _T1_BYTES, item.encode("utf-8"))
    elif sp == SP_OR_ARRAY:
        if v is None:
            return
        if isinstance(v, list):
            schema = m.by_num[2].msg
            for item in v:
                _enc_sub(_T2_BYTES, schema, item, out)  # type: ignore[arg-type]
        else:
            _enc_sub(_T1_BYTES, m.by_num[1].msg, v, out)  # type: ignore[arg-type]
    elif sp == SP_OR_BOOL:
        if isinstance(v, bool) or v is None:
            out += b"\x08\x01" if v else b"\x08\x00"
        else:
            out += b"\x08\x01"
            _enc_sub(_T2_BYTES, m.by_num[2].msg, v, out)  # type: ignore[arg-type]
    elif sp == SP_OR_STRARRAY:
        if v is None:
            return
        if isinstance(v, list):
            for item in v:
                if not isinstance(item, str):
                    raise _type_error(label, "string", item)
                _put_bytes(out, _T2_BYTES, item.encode("utf-8"))
        else:
            _enc_sub(_T1_BYTES, m.by_num[1].msg, v, out)  # type: ignore[arg-type]
    elif sp == SP_UNKNOWN:
        if v is not None:
            out += _envelope(v)[len(MAGIC) :]
    else:  # pragma: no cover
        raise ProtobufError(f"{m.name}: unhandled special message")


def _envelope(obj: Any) -> bytes:
    if not isinstance(obj, dict):
        raise ProtobufError(f"expected an object, got {type(obj).__name__}")
    kind = obj.get("kind")
    api_version = obj.get("apiVersion")
    if not isinstance(kind, str) or not kind:
        raise ProtobufError("object has no kind")
    if not isinstance(api_version, str):
        raise ProtobufError("object has no apiVersion")
    m = _lookup(api_version, kind)
    raw = bytearray()
    _enc_msg(m, obj, raw)
    type_meta = bytearray()
    _put_bytes(type_meta, _T1_BYTES, api_version.encode("utf-8"))
    _put_bytes(type_meta, _T2_BYTES, kind.encode("utf-8"))
    out = bytearray(MAGIC)
    _put_bytes(out, _T1_BYTES, type_meta)
    _put_bytes(out, _T2_BYTES, raw)
    out += b"\x1a\x00\x22\x00"  # contentEncoding "", contentType "" (as Go writes them)
    return bytes(out)


def encode(obj: dict[str, Any]) -> bytes:
    """Encode a JSON-shaped object (with ``kind``/``apiVersion``) as a protobuf body."""
    try:
        return _envelope(obj)
    except ProtobufError:
        raise
    except (UnicodeError, ValueError, OverflowError, RecursionError, struct.error) as exc:
        raise ProtobufError(f"cannot encode object as protobuf: {exc}") from None


def encode_watch_event(event_type: str, obj: dict[str, Any]) -> bytes:
    """One protobuf watch frame: 4-byte big-endian length + bare meta/v1 WatchEvent."""
    if event_type == "ERROR" and isinstance(obj, dict) and not obj.get("kind"):
        obj = {"kind": "Status", "apiVersion": "v1", **obj}
    inner = encode(obj)
    raw_ext = bytearray()
    _put_bytes(raw_ext, _T1_BYTES, inner)
    msg = bytearray()
    _put_bytes(msg, _T1_BYTES, event_type.encode("utf-8"))
    _put_bytes(msg, _T2_BYTES, raw_ext)
    return len(msg).to_bytes(4, "big") + bytes(msg)


# --------------------------------------------------------------------------
# Time and duration
# --------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1)
_ZERO_TIME_SECS = -62135596800  # Go's zero time.Time, 0001-01-01T00:00:00Z
_TIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))\Z",
    re.ASCII,
)


def _parse_time(s: str) -> tuple[int, int]:
    mt = _TIME_RE.match(s)
    if mt is None:
        raise ProtobufError(f"invalid RFC 3339 time {s!r}")
    y, mo, d, h, mi, sec, frac, sign, oh, om = mt.groups()
    try:
        dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec))
    except ValueError as exc:
        raise ProtobufError(f"invalid RFC 3339 time {s!r}: {exc}") from None
    delta = dt - _EPOCH
    secs = delta.days * 86400 + delta.seconds
    if sign:
        offset = int(oh) * 3600 + int(om) * 60
        secs -= offset if sign == "+" else -offset
    nanos = int(frac[:9].ljust(9, "0")) if frac else 0
    return secs, nanos


def _format_time(secs: int, nanos: int, *, micro: bool) -> str | None:
    s, ns = divmod(secs * 1_000_000_000 + nanos, 1_000_000_000)
    if s == _ZERO_TIME_SECS and ns == 0:
        return None
    try:
        dt = _EPOCH + timedelta(seconds=s)
    except OverflowError:
        raise ProtobufError(f"time out of range: {secs}s") from None
    text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    if micro:
        return f"{text}.{ns // 1000:06d}Z"
    return text + "Z"


_NS_PER = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


def _parse_duration(text: str) -> int:
    """Go's time.ParseDuration: ``[-+]`` then ``<number>[.<fraction>]<unit>``, repeated."""
    s = text
    negative = False
    if s[:1] in ("-", "+"):
        negative = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ProtobufError(f'time: invalid duration "{text}"')
    total = 0
    pos = 0
    while pos < len(s):
        mt = _DURATION_PART.match(s, pos)
        if mt is None or not (mt.group(1) or mt.group(2)):
            raise ProtobufError(f'time: invalid duration "{text}"')
        whole, frac, unit = mt.groups()
        scale = _NS_PER[unit]
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // 10 ** len(frac)
        pos = mt.end()
    return -total if negative else total


def _fraction(v: int, digits: int) -> str:
    """``v / 10**digits`` in decimal, trailing zeros (and a bare point) dropped."""
    whole, rest = divmod(v, 10**digits)
    if not rest:
        return str(whole)
    return f"{whole}.{str(rest).rjust(digits, '0').rstrip('0')}"


def _format_duration(ns: int) -> str:
    """Go's time.Duration.String, e.g. ``1h2m3s``, ``1.5s``, ``250ms``, ``0s``."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = -ns if ns < 0 else ns
    if u < 1_000:
        return f"{sign}{u}ns"
    if u < 1_000_000:
        return f"{sign}{_fraction(u, 3)}\u00b5s"
    if u < 1_000_000_000:
        return f"{sign}{_fraction(u, 6)}ms"
    seconds = _fraction(u % 60_000_000_000, 9) + "s"
    minutes = u // 60_000_000_000
    if not minutes:
        return sign + seconds
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{sign}{minutes}m{seconds}"
    return f"{sign}{hours}h{minutes}m{seconds}"
