"""Field errors with upstream's exact wording, including Go's value rendering.

Upstream builds ``details.causes`` from ``field.Error`` values; the message is the
error type's text, then the offending value printed the Go way, then a detail:
``Invalid value: "C_1": a lowercase RFC 1123 label ...``. Strings are printed
with ``%q``, numbers and booleans with ``%v``, and anything else with ``%#v``
(``map[string]string{"app":"b"}``, ``v1.LabelSelector{MatchLabels:...}``).
This module reproduces that rendering for the values validation reports, and
builds :class:`~kybernetes.api.errors.Cause` objects directly.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import Cause
from ..gofmt import go_quote

INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
NOT_SUPPORTED = "FieldValueNotSupported"
DUPLICATE = "FieldValueDuplicate"
FORBIDDEN = "FieldValueForbidden"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"
NOT_FOUND = "FieldValueNotFound"
TYPE_INVALID = "FieldValueTypeInvalid"
INTERNAL = "InternalError"


class GoValue:
    """A value that is already rendered the Go way (``%#v`` of a struct, say)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def render(value: Any) -> str:
    """How field.Error prints a bad value."""
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, GoValue):
        return value.text
    if isinstance(value, dict):
        return go_map(value)
    if isinstance(value, list):
        return go_slice(value)
    return str(value)


def go_float(f: float) -> str:
    if f == int(f) and abs(f) < 1e21:
        return str(int(f))
    return repr(f)


def go_string_map(d: dict | None) -> str:
    """``%#v`` of a map[string]string (Go sorts map keys)."""
    if d is None or not isinstance(d, dict):
        return "map[string]string(nil)"
    return "map[string]string{" + ", ".join(f"{go_quote(k)}:{go_quote(str(v))}" for k, v in sorted(d.items())) + "}"


def go_string_slice(v: list | None, typ: str = "[]string") -> str:
    if v is None or not isinstance(v, list):
        return typ + "(nil)"
    return typ + "{" + ", ".join(go_quote(str(x)) for x in v) + "}"


def go_map(d: dict) -> str:
    if all(isinstance(x, str) for x in d.values()):
        return go_string_map(d)
    return "map[string]interface {}{" + ", ".join(f"{go_quote(k)}:{render(v)}" for k, v in sorted(d.items())) + "}"


def go_slice(v: list) -> str:
    if all(isinstance(x, str) for x in v):
        return go_string_slice(v)
    return "[]interface {}{" + ", ".join(render(x) for x in v) + "}"


def go_label_selector(sel: dict | None, pkg: str = "v1") -> GoValue:
    """``%#v`` of a metav1.LabelSelector (as upstream prints ``spec.selector``)."""
    if sel is None:
        return GoValue("null")
    if not isinstance(sel, dict):
        sel = {}
    ml = sel.get("matchLabels")
    exprs = sel.get("matchExpressions")
    if exprs is not None and not isinstance(exprs, list):
        exprs = None
    if exprs is None:
        ex = f"[]{pkg}.LabelSelectorRequirement(nil)"
    else:
        items = []
        for e in exprs:
            e = e if isinstance(e, dict) else {}
            items.append(
                f"{pkg}.LabelSelectorRequirement{{Key:{go_quote(str(e.get('key') or ''))}, "
                f"Operator:{go_quote(str(e.get('operator') or ''))}, Values:{go_string_slice(e.get('values'))}}}"
            )
        ex = f"[]{pkg}.LabelSelectorRequirement{{" + ", ".join(items) + "}"
    return GoValue(f"{pkg}.LabelSelector{{MatchLabels:{go_string_map(ml)}, MatchExpressions:{ex}}}")


def go_int_or_string(v: Any) -> GoValue:
    """``%#v`` of an intstr.IntOrString value."""
    if isinstance(v, str):
        return GoValue(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_quote(v)}}}")
    n = v if isinstance(v, int) and not isinstance(v, bool) else 0
    return GoValue(f"intstr.IntOrString{{Type:0, IntVal:{n}, StrVal:\"\"}}")


def go_struct(type_name: str, obj: Any) -> GoValue:
    """A best-effort ``%#v`` for a struct upstream would print in full (rarely seen)."""
    if not isinstance(obj, dict):
        return GoValue(render(obj))
    parts = []
    for k, v in obj.items():
        name = k[:1].upper() + k[1:]
        if isinstance(v, dict):
            parts.append(f"{name}:{go_map(v) if all(isinstance(x, str) for x in v.values()) else '{...}'}")
        else:
            parts.append(f"{name}:{render(v)}")
    return GoValue(type_name + "{" + ", ".join(parts) + "}")


# --- constructors named like upstream's field.* helpers -------------------------------------

def required(path: str, detail: str = "") -> Cause:
    return Cause(REQUIRED, "Required value: " + detail if detail else "Required value", path)


def invalid(path: str, value: Any, detail: str = "") -> Cause:
    msg = "Invalid value: " + render(value)
    if detail:
        msg += ": " + detail
    return Cause(INVALID, msg, path)


def invalid_omit(path: str, detail: str) -> Cause:
    """field.Invalid with field.OmitValueType{} (no value printed)."""
    return Cause(INVALID, "Invalid value: " + detail, path)


def type_invalid(path: str, value: Any, detail: str) -> Cause:
    return Cause(TYPE_INVALID, f"Invalid value: {render(value)}: {detail}", path)


def not_supported(path: str, value: Any, valid: Iterable[str]) -> Cause:
    vals = list(valid)
    msg = "Unsupported value: " + render(value)
    if vals:
        msg += ": supported values: " + ", ".join(go_quote(v) for v in vals)
    return Cause(NOT_SUPPORTED, msg, path)


def duplicate(path: str, value: Any) -> Cause:
    return Cause(DUPLICATE, "Duplicate value: " + render(value), path)


def forbidden(path: str, detail: str) -> Cause:
    return Cause(FORBIDDEN, "Forbidden: " + detail if detail else "Forbidden", path)


def too_long(path: str, max_len: int) -> Cause:
    if max_len >= 0:
        return Cause(TOO_LONG, f"Too long: may not be more than {max_len} bytes", path)
    return Cause(TOO_LONG, "Too long: value is too long", path)


def too_many(path: str, actual: int, max_items: int) -> Cause:
    if actual >= 0:
        return Cause(TOO_MANY, f"Too many: {actual}: must have at most {max_items} items", path)
    return Cause(TOO_MANY, f"Too many: must have at most {max_items} items", path)


def not_found(path: str, value: Any, detail: str = "") -> Cause:
    msg = "Not found: " + render(value)
    if detail:
        msg += ": " + detail
    return Cause(NOT_FOUND, msg, path)


def internal(path: str, detail: str) -> Cause:
    return Cause(INTERNAL, "Internal error: " + detail, path)


IMMUTABLE = "field is immutable"


def immutable(path: str, value: Any) -> Cause:
    return invalid(path, value, IMMUTABLE)
