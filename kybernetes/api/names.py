"""Name, label and key checks with upstream's messages (apimachinery util/validation).

Each ``is_*`` function returns the list of problems (empty when valid), exactly
like upstream's ``validation.Is*`` helpers; callers turn each message into a
``field.Invalid`` cause. Results for the common checks are memoised because
the same label keys and names come back on every request.

This module is standalone (no imports from ``api.validation`` or
``api.selectors``) so that both can use it: object validation through
``api.validation.names``, which re-exports it, and label selector parsing in
``api.selectors``, which must not pull in the validation package.

The ``*_errors`` functions take the length measure as a parameter: the memoised
``is_*`` checks count characters (``len``), label selector parsing counts UTF-8
bytes (:func:`byte_len`, Go's ``len`` of a string). The two differ only for
over-long non-ASCII values, which fail the (ASCII) regex either way.
"""

from __future__ import annotations

import re
from typing import Callable

QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
QUALIFIED_NAME_ERR = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"
LABEL_VALUE_ERR = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
LABEL_VALUE_MAX = 63
DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_ERR = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1123_SUBDOMAIN_ERR = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
DNS1123_SUBDOMAIN_MAX = 253
DNS1123_LABEL_US_FMT = "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_US_FMT = DNS1123_LABEL_US_FMT + "(\\." + DNS1123_LABEL_US_FMT + ")*"
DNS1123_SUBDOMAIN_US_ERR = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character"
DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
DNS1035_LABEL_ERR = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
DNS1035_LABEL_MAX = 63
WILDCARD_DNS1123_FMT = "\\*\\." + DNS1123_SUBDOMAIN_FMT
WILDCARD_DNS1123_ERR = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character"
C_IDENTIFIER_FMT = "[A-Za-z_][A-Za-z0-9_]*"
C_IDENTIFIER_ERR = "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'"
PERCENT_FMT = "[0-9]+%"
PERCENT_ERR = "a valid percent string must be a numeric string followed by an ending '%'"
HTTP_HEADER_FMT = "[-A-Za-z0-9]+"
HTTP_HEADER_ERR = "a valid HTTP header must consist of alphanumeric characters or '-'"
ENV_VAR_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*"
ENV_VAR_ERR = "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"
RELAXED_ENV_VAR_ERR = "a valid environment variable name must consist only of printable ASCII characters other than '='"
CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
CONFIG_KEY_ERR = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"

_qualified_re = re.compile(QUALIFIED_NAME_FMT)
_label_value_re = re.compile(LABEL_VALUE_FMT)
_dns1123_label_re = re.compile(DNS1123_LABEL_FMT)
_dns1123_subdomain_re = re.compile(DNS1123_SUBDOMAIN_FMT)
_dns1123_subdomain_us_re = re.compile(DNS1123_SUBDOMAIN_US_FMT)
_dns1035_label_re = re.compile(DNS1035_LABEL_FMT)
_wildcard_re = re.compile(WILDCARD_DNS1123_FMT)
_c_identifier_re = re.compile(C_IDENTIFIER_FMT)
_percent_re = re.compile(PERCENT_FMT)
_http_header_re = re.compile(HTTP_HEADER_FMT)
_env_var_re = re.compile(ENV_VAR_FMT)
_config_key_re = re.compile(CONFIG_KEY_FMT)
_port_name_charset_re = re.compile("[-a-z0-9]+")
_port_name_letter_re = re.compile("[a-z]")


def max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    if not examples:
        return msg + " (regex used for validation is '" + fmt + "')"
    msg += " (e.g. "
    for i, ex in enumerate(examples):
        if i > 0:
            msg += " or "
        msg += "'" + ex + "', "
    return msg + "regex used for validation is '" + fmt + "')"


def empty_error() -> str:
    return "must be non-empty"


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


_NO: tuple[str, ...] = ()
_CACHE_MAX = 8192


def _memo(fn):
    cache: dict[str, tuple[str, ...]] = {}

    def wrapper(value: str) -> tuple[str, ...]:
        hit = cache.get(value)
        if hit is None:
            hit = tuple(fn(value))
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[value] = hit
        return hit

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def byte_len(s: str) -> int:
    """Go's ``len`` of a string: its length in UTF-8 bytes."""
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogatepass"))


def dns1123_subdomain_errors(value: str, length: Callable[[str], int] = len) -> list[str]:
    errs = []
    if length(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _dns1123_subdomain_re.fullmatch(value):
        errs.append(regex_error(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


is_dns1123_subdomain = _memo(dns1123_subdomain_errors)


def is_dns1123_subdomain_with_underscore(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _dns1123_subdomain_us_re.fullmatch(value):
        errs.append(regex_error(DNS1123_SUBDOMAIN_US_ERR, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


@_memo
def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _dns1123_label_re.fullmatch(value):
        if _dns1123_subdomain_re.fullmatch(value):
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


@_memo
def is_dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1035_LABEL_MAX:
        errs.append(max_len_error(DNS1035_LABEL_MAX))
    if not _dns1035_label_re.fullmatch(value):
        errs.append(regex_error(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


def is_wildcard_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _wildcard_re.fullmatch(value):
        errs.append(regex_error(WILDCARD_DNS1123_ERR, WILDCARD_DNS1123_FMT, "*.example.com"))
    return errs


def qualified_name_errors(value: str, length: Callable[[str], int] = len) -> list[str]:
    """Upstream ``validation.IsQualifiedName``: the rules for label keys."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + empty_error())
        else:
            msgs = dns1123_subdomain_errors(prefix, length)
            errs.extend("prefix part " + m for m in msgs)
    else:
        return [
            "a qualified name "
            + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + empty_error())
    elif length(name) > QUALIFIED_NAME_MAX:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX))
    if not _qualified_re.fullmatch(name):
        errs.append("name part " + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


is_qualified_name = _memo(qualified_name_errors)


def label_value_errors(value: str, length: Callable[[str], int] = len) -> list[str]:
    """Upstream ``validation.IsValidLabelValue``."""
    errs = []
    if length(value) > LABEL_VALUE_MAX:
        errs.append(max_len_error(LABEL_VALUE_MAX))
    if not _label_value_re.fullmatch(value):
        errs.append(regex_error(LABEL_VALUE_ERR, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


is_valid_label_value = _memo(label_value_errors)


def is_c_identifier(value: str) -> list[str]:
    if not _c_identifier_re.fullmatch(value):
        return [regex_error(C_IDENTIFIER_ERR, C_IDENTIFIER_FMT, "my_name", "MY_NAME", "MyName")]
    return []


def is_valid_port_num(port: object) -> list[str]:
    if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
        return []
    return [inclusive_range_error(1, 65535)]


def is_in_range(value: int, lo: int, hi: int) -> list[str]:
    if lo <= value <= hi:
        return []
    return [inclusive_range_error(lo, hi)]


def is_valid_group_id(gid: int) -> list[str]:
    if 0 <= gid <= 2147483647:
        return []
    return [inclusive_range_error(0, 2147483647)]


is_valid_user_id = is_valid_group_id


@_memo
def is_valid_port_name(port: str) -> list[str]:
    errs = []
    if len(port) > 15:
        errs.append(max_len_error(15))
    if not _port_name_charset_re.fullmatch(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _port_name_letter_re.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_percent(percent: str) -> list[str]:
    if not _percent_re.fullmatch(percent):
        return [regex_error(PERCENT_ERR, PERCENT_FMT, "1%", "93%")]
    return []


def is_http_header_name(value: str) -> list[str]:
    if not _http_header_re.fullmatch(value):
        return [regex_error(HTTP_HEADER_ERR, HTTP_HEADER_FMT, "X-Header-Name")]
    return []


def _has_chdir_prefix(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def is_env_var_name(value: str) -> list[str]:
    errs = []
    if not _env_var_re.fullmatch(value):
        errs.append(regex_error(ENV_VAR_ERR, ENV_VAR_FMT, "my.env-name", "MY_ENV.NAME", "MyEnvName1"))
    errs.extend(_has_chdir_prefix(value))
    return errs


@_memo
def is_relaxed_env_var_name(value: str) -> list[str]:
    """1.33 has RelaxedEnvironmentVariableValidation (beta, on by default)."""
    errs = []
    if not value:
        errs.append("environment variable name " + empty_error())
    for ch in value:
        if ord(ch) > 127 or not (0x20 <= ord(ch) < 0x7F) or ch == "=":
            errs.append(RELAXED_ENV_VAR_ERR)
            break
    return errs


@_memo
def is_config_map_key(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _config_key_re.fullmatch(value):
        errs.append(regex_error(CONFIG_KEY_ERR, CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name"))
    errs.extend(_has_chdir_prefix(value))
    return errs


# --- name functions (apimachinery api/validation/generic.go, path/name.go) ---------------------

def _mask_trailing_dash(name: str) -> str:
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def name_is_dns_subdomain(name: str, prefix: bool = False) -> tuple[str, ...]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_subdomain(name)


def name_is_dns_label(name: str, prefix: bool = False) -> tuple[str, ...]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_label(name)


def name_is_dns1035_label(name: str, prefix: bool = False) -> tuple[str, ...]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1035_label(name)


def path_segment_name(name: str, prefix: bool = False) -> list[str]:
    if not prefix:
        if name in (".", ".."):
            return [f"may not be '{name}'"]
    errs = []
    for bad in ("/", "%"):
        if bad in name:
            errs.append(f"may not contain '{bad}'")
    return errs


def any_name(name: str, prefix: bool = False) -> list[str]:
    return []


validate_namespace_name = name_is_dns_label
