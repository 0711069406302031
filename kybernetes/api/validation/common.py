"""Checks shared by several API groups: label selectors, ports, IPs, quantities."""

from __future__ import annotations

import ipaddress
from typing import Any

from .. import quantity as q
from ..errors import Cause
from . import fielderr as fe
from . import names
from .meta import d, lst, s, validate_label_name

IS_NEGATIVE = "must be greater than or equal to 0"


def is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# --- label selectors -------------------------------------------------------------------------

def validate_label_selector(sel: Any, path: str, errs: list[Cause], allow_invalid_values: bool = False) -> None:
    if sel is None:
        return
    sel = d(sel)
    ml = sel.get("matchLabels")
    if ml:
        from .meta import validate_labels

        validate_labels(ml, path + ".matchLabels", errs)
    for idx, expr in enumerate(lst(sel.get("matchExpressions"))):
        validate_selector_requirement(d(expr), f"{path}.matchExpressions[{idx}]", errs, allow_invalid_values)


def validate_selector_requirement(sr: dict, path: str, errs: list[Cause], allow_invalid_values: bool = False) -> None:
    op = s(sr.get("operator"))
    values = lst(sr.get("values"))
    if op in ("In", "NotIn"):
        if not values:
            errs.append(fe.required(path + ".values", "must be specified when `operator` is 'In' or 'NotIn'"))
    elif op in ("Exists", "DoesNotExist"):
        if values:
            errs.append(fe.forbidden(path + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    else:
        errs.append(fe.invalid(path + ".operator", op, "not a valid selector operator"))
    validate_label_name(s(sr.get("key")), path + ".key", errs)
    if not allow_invalid_values:
        for idx, v in enumerate(values):
            for msg in names.is_valid_label_value(s(v)):
                errs.append(fe.invalid(f"{path}.values[{idx}]", s(v), msg))


def selector_parses(sel: Any) -> bool:
    """LabelSelectorAsSelector succeeds (operators known, In/NotIn have values, ...)."""
    if sel is None:
        return True
    sel = d(sel)
    for k, v in d(sel.get("matchLabels")).items():
        if names.is_qualified_name(k) or names.is_valid_label_value(s(v)):
            return False
    for expr in lst(sel.get("matchExpressions")):
        expr = d(expr)
        op = s(expr.get("operator"))
        vals = lst(expr.get("values"))
        if op in ("In", "NotIn"):
            if not vals:
                return False
        elif op in ("Exists", "DoesNotExist"):
            if vals:
                return False
        else:
            return False
        if names.is_qualified_name(s(expr.get("key"))):
            return False
        for v in vals:
            if names.is_valid_label_value(s(v)):
                return False
    return True


def selector_empty(sel: Any) -> bool:
    sel = d(sel)
    return not sel.get("matchLabels") and not sel.get("matchExpressions")


def selector_matches(sel: Any, labels: Any) -> bool:
    """metav1.LabelSelector semantics; a nil selector matches nothing, an empty one everything."""
    if sel is None:
        return False
    sel = d(sel)
    labels = d(labels)
    for k, v in d(sel.get("matchLabels")).items():
        if labels.get(k) != v:
            return False
    for expr in lst(sel.get("matchExpressions")):
        expr = d(expr)
        key = s(expr.get("key"))
        op = expr.get("operator")
        vals = [s(v) for v in lst(expr.get("values"))]
        has = key in labels
        if op == "In":
            if not has or labels[key] not in vals:
                return False
        elif op == "NotIn":
            if has and labels[key] in vals:
                return False
        elif op == "Exists":
            if not has:
                return False
        elif op == "DoesNotExist":
            if has:
                return False
        else:
            return False
    return True


def map_selector_matches(selector: dict, labels: Any) -> bool:
    labels = d(labels)
    return all(labels.get(k) == v for k, v in selector.items())


# --- numbers ---------------------------------------------------------------------------------

def nonnegative(value: Any, path: str, errs: list[Cause]) -> None:
    if is_int(value) and value < 0:
        errs.append(fe.invalid(path, value, IS_NEGATIVE))


def port_num(value: Any, path: str, errs: list[Cause]) -> None:
    for msg in names.is_valid_port_num(value):
        errs.append(fe.invalid(path, value, msg))


def port_num_or_name(value: Any, path: str, errs: list[Cause]) -> None:
    """ValidatePortNumOrName on an IntOrString."""
    if isinstance(value, str):
        for msg in names.is_valid_port_name(value):
            errs.append(fe.invalid(path, value, msg))
    else:
        v = value if is_int(value) else 0
        for msg in names.is_valid_port_num(v):
            errs.append(fe.invalid(path, v, msg))


def int_or_percent_value(v: Any) -> tuple[int, bool]:
    """(value, is_percent) like upstream's getIntOrPercentValue."""
    if isinstance(v, str):
        if names.is_valid_percent(v):
            return 0, False
        return int(v[:-1]), True
    return (v if is_int(v) else 0), False


def positive_int_or_percent(v: Any, path: str, errs: list[Cause]) -> None:
    if isinstance(v, str):
        for msg in names.is_valid_percent(v):
            errs.append(fe.invalid(path, fe.go_int_or_string(v), msg))
    elif is_int(v):
        if v < 0:
            errs.append(fe.invalid(path, v, IS_NEGATIVE))


def not_more_than_100_percent(v: Any, path: str, errs: list[Cause]) -> None:
    if isinstance(v, str) and not names.is_valid_percent(v) and int(v[:-1]) > 100:
        errs.append(fe.invalid(path, fe.go_int_or_string(v), "must not be greater than 100%"))


# --- IPs -------------------------------------------------------------------------------------

def parse_ip_sloppy(value: str) -> ipaddress._BaseAddress | None:
    """netutils.ParseIPSloppy: like net.ParseIP but allows leading zeros in IPv4 octets."""
    if not value:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        pass
    if ":" not in value:
        parts = value.split(".")
        if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts):
            return ipaddress.ip_address(".".join(str(int(p)) for p in parts))
        return None
    # IPv6 with an embedded IPv4 tail that has leading zeros
    head, _, tail = value.rpartition(":")
    if "." in tail:
        v4 = parse_ip_sloppy(tail)
        if v4 is not None:
            try:
                return ipaddress.ip_address(head + ":" + str(v4))
            except ValueError:
                return None
    return None


IP_ERR = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"


def valid_ip_legacy(value: str, path: str, errs: list[Cause]) -> None:
    """IsValidIPForLegacyField with StrictIPCIDRValidation off (1.33 default)."""
    if parse_ip_sloppy(value) is None:
        errs.append(fe.invalid(path, value, IP_ERR))


def valid_ip(value: str, path: str, errs: list[Cause]) -> None:
    """IsValidIP (strict): valid, no leading zeros, not 4-in-6, canonical."""
    ip = parse_ip_sloppy(value)
    if ip is None:
        errs.append(fe.invalid(path, value, IP_ERR))
        return
    strict_ok = True
    try:
        ipaddress.ip_address(value)
    except ValueError:
        errs.append(fe.invalid(path, value, "must not have leading 0s"))
        strict_ok = False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        errs.append(fe.invalid(path, value, "must not be an IPv4-mapped IPv6 address"))
        strict_ok = False
    if strict_ok and str(ip) != value:
        errs.append(fe.invalid(path, value, f"must be in canonical form ({fe.go_quote(str(ip))})"))


CIDR_ERR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def valid_cidr_legacy(value: str, path: str, errs: list[Cause]) -> None:
    ip, _, plen = value.partition("/")
    if not plen or parse_ip_sloppy(ip) is None or not plen.isdigit():
        errs.append(fe.invalid(path, value, CIDR_ERR))
        return
    addr = parse_ip_sloppy(ip)
    if int(plen) > (32 if addr.version == 4 else 128):
        errs.append(fe.invalid(path, value, CIDR_ERR))


def non_special_ip(value: str, path: str, errs: list[Cause]) -> None:
    ip = parse_ip_sloppy(value)
    if ip is None:
        errs.append(fe.invalid(path, value, "must be a valid IP address"))
        return
    if ip.is_unspecified:
        errs.append(fe.invalid(path, value, f"may not be unspecified ({value})"))
    if ip.is_loopback:
        errs.append(fe.invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip.is_link_local:
        errs.append(fe.invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if (ip.version == 4 and ip in ipaddress.ip_network("224.0.0.0/24")) or (ip.version == 6 and ip in ipaddress.ip_network("ff02::/16")):
        errs.append(fe.invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))


# --- quantities ------------------------------------------------------------------------------

def parse_qty(v: Any) -> q.Quantity | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return q.parse(v.strip() if isinstance(v, str) else v)
    except (q.QuantityError, TypeError):
        return None


def nonnegative_quantity(v: Any, path: str, errs: list[Cause]) -> None:
    qq = parse_qty(v)
    if qq is not None and qq.value < 0:
        errs.append(fe.invalid(path, qq.canonical(), IS_NEGATIVE))


def positive_quantity(v: Any, path: str, errs: list[Cause]) -> bool:
    qq = parse_qty(v)
    if qq is not None and qq.value <= 0:
        errs.append(fe.invalid(path, qq.canonical(), "must be greater than zero"))
        return False
    return True


def quantity_go(qq: q.Quantity) -> fe.GoValue:
    """What upstream prints for a resource.Quantity passed by value (its ``%#v``)."""
    v = qq.value
    if v.denominator == 1 and abs(v) < (1 << 63):
        amount = f"resource.int64Amount{{value:{int(v)}, scale:0}}"
    else:
        scale = 0
        x = v
        while x.denominator != 1:
            x *= 10
            scale -= 1
        amount = f"resource.int64Amount{{value:{int(x)}, scale:{scale}}}"
    return fe.GoValue(f'resource.Quantity{{i:{amount}, d:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:"", Format:"{qq.format}"}}')
