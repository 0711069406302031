"""Go ``fmt`` / ``strconv`` formatting helpers shared across the API package.

Standalone on purpose: imports nothing from ``kybernetes``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["go_float", "go_quote"]


def go_float(f: float) -> str:
    """Go's ``%v`` of a float64.

    That is ``strconv.FormatFloat(f, 'g', -1, 64)``: the shortest round-trip
    digits, in exponent form when the decimal exponent is below -4 or at
    least 6 (e.g. ``1e+06``, ``1e-05``, ``0.0001``, ``123456``); infinities
    print as ``+Inf``/``-Inf`` and negative zero as ``-0``.
    """
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if math.isnan(f):
        return "NaN"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    mant, _, e = repr(abs(f)).partition("e")  # repr gives the shortest round-trip digits
    ip, _, fp = mant.partition(".")
    raw = ip + (fp if fp != "0" else "")
    lead = len(raw) - len(raw.lstrip("0"))
    digits = raw.lstrip("0").rstrip("0") or "0"
    dp = len(ip) - lead + (int(e) if e else 0)  # value = 0.<digits> * 10**dp
    exp = dp - 1
    if exp < -4 or exp >= 6:
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{m}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


_GO_ESCAPES = {
    0x07: "\\a",
    0x08: "\\b",
    0x0C: "\\f",
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
    0x0B: "\\v",
    0x22: '\\"',
    0x5C: "\\\\",
}


def go_quote(s: str) -> str:
    """Go's ``%q`` / ``strconv.Quote``: printable runes kept, the rest escaped."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    out = ['"']
    for ch in s:
        o = ord(ch)
        esc = _GO_ESCAPES.get(o)
        if esc is not None:
            out.append(esc)
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def go_type_name(v: Any) -> str:
    """The Go type a decoded JSON value has (``reflect.TypeOf(v)``), ``<nil>`` for null."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "[]interface {}"
    if isinstance(v, dict):
        return "map[string]interface {}"
    return "<nil>"
