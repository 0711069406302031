"""Kubernetes ``Status`` errors, with upstream's reasons, codes and messages.

Every failure a client sees is an :class:`APIError`; the HTTP layer renders it as
a ``Status`` object. Message wording follows kube-apiserver exactly, because
kubectl prints it verbatim (``Error from server (NotFound): pods "x" not found``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Cause:
    """One entry of ``details.causes``: ``reason`` is a FieldValue* cause type."""

    reason: str
    message: str
    field: str = ""

    def to_dict(self) -> dict[str, str]:
        d = {"reason": self.reason, "message": self.message}
        if self.field:
            d["field"] = self.field
        return d


# Field-error helpers, named like upstream's field.Required / field.Invalid / ...
def required(path: str, detail: str = "") -> Cause:
    return Cause("FieldValueRequired", "Required value" + (f": {detail}" if detail else ""), path)


def invalid(path: str, value: Any, detail: str) -> Cause:
    return Cause("FieldValueInvalid", f"Invalid value: {_render(value)}: {detail}", path)


def not_supported(path: str, value: Any, valid: list[str]) -> Cause:
    options = ", ".join(f'"{v}"' for v in valid)
    return Cause("FieldValueNotSupported", f"Unsupported value: {_render(value)}: supported values: {options}", path)


def duplicate(path: str, value: Any) -> Cause:
    return Cause("FieldValueDuplicate", f"Duplicate value: {_render(value)}", path)


def forbidden(path: str, detail: str) -> Cause:
    return Cause("FieldValueForbidden", f"Forbidden: {detail}", path)


def too_long(path: str, max_len: int) -> Cause:
    return Cause("FieldValueTooLong", f"Too long: may not be more than {max_len} bytes", path)


def type_invalid(path: str, value: Any, detail: str) -> Cause:
    return Cause("FieldValueTypeInvalid", f"Invalid value: {_render(value)}: {detail}", path)


def _render(value: Any) -> str:
    """Go's %#v-ish rendering that upstream uses in field errors."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return '{"' + '", "'.join(value) + '"}' if value else "{}"
    if isinstance(value, list):
        return "[]" if not value else "[" + ", ".join(_render(v) for v in value) + "]"
    return str(value)


class APIError(Exception):
    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        s: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:
            s["reason"] = self.reason
        if self.details is not None:
            s["details"] = self.details
        s["code"] = self.code
        return s


def _details(name: str, group: str, kind: str, **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    d["kind"] = kind
    d.update(extra)
    return d


def _qualified(plural: str, group: str) -> str:
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, group: str, name: str) -> APIError:
    return APIError(
        404,
        "NotFound",
        f'{_qualified(plural, group)} "{name}" not found',
        details=_details(name, group, plural),
    )


def already_exists(plural: str, group: str, name: str) -> APIError:
    return APIError(
        409,
        "AlreadyExists",
        f'{_qualified(plural, group)} "{name}" already exists',
        details=_details(name, group, plural),
    )


def conflict(plural: str, group: str, name: str, detail: str) -> APIError:
    return APIError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(plural, group)} "{name}": {detail}',
        details=_details(name, group, plural),
    )


OBJECT_MODIFIED = "the object has been modified; please apply your changes to the latest version and try again"


def invalid_object(kind: str, group: str, name: str, causes: list[Cause]) -> APIError:
    qualified = f"{kind}.{group}" if group else kind
    parts = [f"{c.field}: {c.message}" if c.field else c.message for c in causes]
    # Like upstream's aggregate error: repeated messages are printed once (causes keep them all).
    parts = list(dict.fromkeys(parts))
    if len(parts) == 1:
        agg = parts[0]
    else:
        agg = "[" + ", ".join(parts) + "]"
    return APIError(
        422,
        "Invalid",
        f'{qualified} "{name}" is invalid: {agg}',
        details=_details(name, group, kind, causes=[c.to_dict() for c in causes]),
    )


def bad_request(message: str) -> APIError:
    return APIError(400, "BadRequest", message)


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> APIError:
    return APIError(405, "MethodNotAllowed", message, details={})


def not_acceptable(message: str) -> APIError:
    return APIError(406, "NotAcceptable", message)


def unsupported_media_type() -> APIError:
    return APIError(415, "UnsupportedMediaType", "415: Unsupported Media Type", details={})


def gone(message: str) -> APIError:
    return APIError(410, "Expired", message)


def unauthorized() -> APIError:
    return APIError(401, "Unauthorized", "Unauthorized")


def forbidden_error(message: str, *, name: str = "", group: str = "", kind: str = "") -> APIError:
    return APIError(403, "Forbidden", message, details=_details(name, group, kind))


def request_entity_too_large(message: str = "Request entity too large: limit is 3145728") -> APIError:
    return APIError(413, "RequestEntityTooLarge", message)


def internal(message: str) -> APIError:
    return APIError(500, "InternalError", f"Internal error occurred: {message}", details={"causes": [{"message": message}]})
