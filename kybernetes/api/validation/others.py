"""Validation of the smaller API groups: networking, policy, autoscaling, RBAC,
coordination, scheduling, storage, discovery, admissionregistration and
apiextensions (the checks users meet in practice, with upstream's messages)."""

from __future__ import annotations

from typing import Any

from ..errors import Cause
from . import fielderr as fe
from . import names
from .common import (
    is_int,
    not_more_than_100_percent,
    parse_ip_sloppy,
    parse_qty,
    positive_int_or_percent,
    valid_cidr_legacy,
    validate_label_selector,
)
from .core import PROTOCOLS, dns1123_label, dns1123_subdomain, dns_subdomain, validate_container_resource_name
from .meta import d, i, lst, s, validate_object_meta, validate_object_meta_update

# --- networking ------------------------------------------------------------------------------

PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")


def _ingress_backend(b: dict, path: str, errs: list[Cause]) -> None:
    has_res = b.get("resource") is not None
    has_svc = b.get("service") is not None
    if has_res and has_svc:
        errs.append(fe.invalid(path, "", "cannot set both resource and service backends"))
        return
    if has_res:
        r = d(b.get("resource"))
        rp = path + ".resource"
        if not s(r.get("name")):
            errs.append(fe.required(rp + ".name"))
        if not s(r.get("kind")):
            errs.append(fe.required(rp + ".kind"))
        grp = r.get("apiGroup")
        if grp is not None and s(grp):
            dns1123_subdomain(s(grp), rp + ".apiGroup", errs)
        elif grp is not None:
            errs.append(fe.invalid(rp + ".apiGroup", "", "must be specified when using a custom resource"))
    elif has_svc:
        svc = d(b.get("service"))
        name = s(svc.get("name"))
        if not name:
            errs.append(fe.required(path + ".service.name"))
        else:
            for msg in names.name_is_dns1035_label(name):
                errs.append(fe.invalid(path + ".service.name", name, msg))
        port = d(svc.get("port"))
        pname, pnum = s(port.get("name")), port.get("number") or 0
        if pname and pnum:
            errs.append(fe.invalid(path, "", "cannot set both port name & port number"))
        elif pname:
            for msg in names.is_valid_port_name(pname):
                errs.append(fe.invalid(path + ".service.port.name", pname, msg))
        elif pnum:
            for msg in names.is_valid_port_num(pnum):
                errs.append(fe.invalid(path + ".service.port.number", pnum, msg))
        else:
            errs.append(fe.required(path, "port name or number is required"))
    else:
        errs.append(fe.invalid(path, "", "resource or service backend is required"))


def _ingress_spec(spec: dict, errs: list[Cause]) -> None:
    rules = lst(spec.get("rules"))
    if not rules and spec.get("defaultBackend") is None:
        errs.append(fe.invalid("spec", fe.GoValue("[]networking.IngressRule(nil)" if spec.get("rules") is None else "[]networking.IngressRule{}"), "either `defaultBackend` or `rules` must be specified"))
    if spec.get("defaultBackend") is not None:
        _ingress_backend(d(spec.get("defaultBackend")), "spec.defaultBackend", errs)
    for idx, rule in enumerate(rules):
        rule = d(rule)
        rp = f"spec.rules[{idx}]"
        host = s(rule.get("host"))
        if host:
            if parse_ip_sloppy(host) is not None:
                errs.append(fe.invalid(rp + ".host", host, "must be a DNS name, not an IP address"))
            if "*" in host:
                for msg in names.is_wildcard_dns1123_subdomain(host):
                    errs.append(fe.invalid(rp + ".host", host, msg))
            else:
                dns1123_subdomain(host, rp + ".host", errs)
        http = rule.get("http")
        if http is not None:
            paths = lst(d(http).get("paths"))
            hp = rp + ".http.paths"
            if not paths:
                errs.append(fe.required(hp))
            for j, p in enumerate(paths):
                p = d(p)
                pp = f"{hp}[{j}]"
                pt = p.get("pathType")
                ps = s(p.get("path"))
                if pt is None:
                    errs.append(fe.required(pp + ".pathType", "pathType must be specified"))
                    continue
                if pt in ("Exact", "Prefix"):
                    if not ps.startswith("/"):
                        errs.append(fe.invalid(pp + ".path", ps, "must be an absolute path"))
                    if ps:
                        for seq in ("//", "/./", "/../", "%2f", "%2F"):
                            if seq in ps:
                                errs.append(fe.invalid(pp + ".path", ps, f"must not contain '{seq}'"))
                        for suf in ("/..", "/."):
                            if ps.endswith(suf):
                                errs.append(fe.invalid(pp + ".path", ps, f"cannot end with '{suf}'"))
                elif pt == "ImplementationSpecific":
                    if ps and not ps.startswith("/"):
                        errs.append(fe.invalid(pp + ".path", ps, "must be an absolute path"))
                else:
                    errs.append(fe.not_supported(pp + ".pathType", pt, PATH_TYPES))
                _ingress_backend(d(p.get("backend")), pp + ".backend", errs)
    for idx, tls in enumerate(lst(spec.get("tls"))):
        tls = d(tls)
        for j, host in enumerate(lst(tls.get("hosts"))):
            host = s(host)
            hp = f"spec.tls[{idx}].hosts[{j}]"
            if "*" in host:
                for msg in names.is_wildcard_dns1123_subdomain(host):
                    errs.append(fe.invalid(hp, host, msg))
            else:
                dns1123_subdomain(host, hp, errs)
        sn = s(tls.get("secretName"))
        if sn:
            for msg in names.name_is_dns_subdomain(sn):
                errs.append(fe.invalid(f"spec.tls[{idx}].secretName", sn, msg))
    icn = spec.get("ingressClassName")
    if icn is not None:
        for msg in names.name_is_dns_subdomain(s(icn)):
            errs.append(fe.invalid("spec.ingressClassName", s(icn), msg))


def validate_ingress(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    _ingress_spec(d(obj.get("spec")), errs)
    return errs


def validate_ingress_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _ingress_spec(d(new.get("spec")), errs)
    return errs


def validate_ingress_class(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), False, dns_subdomain, errs)
    spec = d(obj.get("spec"))
    ctrl = s(spec.get("controller"))
    if not ctrl:
        errs.append(fe.required("spec.controller"))
    else:
        parts = ctrl.split("/", 1)
        if len(parts) != 2 or not parts[0] or not parts[1]:
            errs.append(fe.invalid("spec.controller", ctrl, 'must be a domain-prefixed path (such as "acme.io/foo")'))
        else:
            dns1123_subdomain(parts[0], "spec.controller", errs)
        if len(ctrl) > 250:
            errs.append(fe.too_long("spec.controller", 250))
    params = spec.get("parameters")
    if params is not None:
        params = d(params)
        pp = "spec.parameters"
        if not s(params.get("kind")):
            errs.append(fe.required(pp + ".kind"))
        if not s(params.get("name")):
            errs.append(fe.required(pp + ".name"))
        scope = params.get("scope")
        if scope is not None and scope not in ("Cluster", "Namespace"):
            errs.append(fe.not_supported(pp + ".scope", scope, ["Cluster", "Namespace"]))
        if scope == "Namespace" and not params.get("namespace"):
            errs.append(fe.required(pp + ".namespace", "`parameters.scope` is set to 'Namespace'"))
        if scope == "Cluster" and params.get("namespace"):
            errs.append(fe.forbidden(pp + ".namespace", "`parameters.scope` is set to 'Cluster'"))
    return errs


def validate_ingress_class_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    errs.extend(validate_ingress_class(new))
    nc, oc = d(new.get("spec")).get("controller"), d(old.get("spec")).get("controller")
    if nc != oc:
        errs.append(fe.immutable("spec.controller", nc))
    return errs


def _np_port(port: dict, path: str, errs: list[Cause]) -> None:
    proto = port.get("protocol")
    if proto is not None and proto not in ("TCP", "UDP", "SCTP"):
        errs.append(fe.not_supported(path + ".protocol", proto, ["TCP", "UDP", "SCTP"]))
    p = port.get("port")
    end = port.get("endPort")
    if p is not None:
        if is_int(p):
            for msg in names.is_valid_port_num(p):
                errs.append(fe.invalid(path + ".port", p, msg))
            if end is not None:
                if is_int(end) and end < p:
                    errs.append(fe.invalid(path + ".endPort", p, "must be greater than or equal to `port`"))
                for msg in names.is_valid_port_num(end):
                    errs.append(fe.invalid(path + ".endPort", end, msg))
        else:
            if end is not None:
                errs.append(fe.invalid(path + ".endPort", end, "may not be specified when `port` is non-numeric"))
            for msg in names.is_valid_port_name(s(p)):
                errs.append(fe.invalid(path + ".port", s(p), msg))
    elif end is not None:
        errs.append(fe.invalid(path + ".endPort", end, "may not be specified when `port` is not specified"))


def _np_peer(peer: dict, path: str, errs: list[Cause]) -> None:
    n = 0
    if peer.get("podSelector") is not None:
        n += 1
        validate_label_selector(peer.get("podSelector"), path + ".podSelector", errs)
    if peer.get("namespaceSelector") is not None:
        n += 1
        validate_label_selector(peer.get("namespaceSelector"), path + ".namespaceSelector", errs)
    ipb = peer.get("ipBlock")
    if ipb is not None:
        n += 1
        ipb = d(ipb)
        bp = path + ".ipBlock"
        cidr = s(ipb.get("cidr"))
        if not cidr:
            errs.append(fe.required(bp + ".cidr"))
        else:
            before = len(errs)
            valid_cidr_legacy(cidr, bp + ".cidr", errs)
            if len(errs) == before:
                import ipaddress

                try:
                    net = ipaddress.ip_network(cidr, strict=False)
                except ValueError:
                    net = None
                for j, ex in enumerate(lst(ipb.get("except"))):
                    ex = s(ex)
                    ep = f"{bp}.except[{j}]"
                    b2 = len(errs)
                    valid_cidr_legacy(ex, ep, errs)
                    if len(errs) != b2 or net is None:
                        continue
                    try:
                        exn = ipaddress.ip_network(ex, strict=False)
                    except ValueError:
                        continue
                    if exn.version != net.version or exn.network_address not in net or net.prefixlen >= exn.prefixlen:
                        errs.append(fe.invalid(ep, ex, "must be a strict subset of `cidr`"))
    if n == 0:
        errs.append(fe.required(path, "must specify a peer"))
    elif n > 1 and ipb is not None:
        errs.append(fe.forbidden(path, "may not specify both ipBlock and another peer"))


def _np_spec(spec: dict, errs: list[Cause]) -> None:
    validate_label_selector(d(spec.get("podSelector")), "spec.podSelector", errs)
    for key, peers in (("ingress", "from"), ("egress", "to")):
        for idx, rule in enumerate(lst(spec.get(key))):
            rule = d(rule)
            rp = f"spec.{key}[{idx}]"
            for j, port in enumerate(lst(rule.get("ports"))):
                _np_port(d(port), f"{rp}.ports[{j}]", errs)
            for j, peer in enumerate(lst(rule.get(peers))):
                _np_peer(d(peer), f"{rp}.{peers}[{j}]", errs)
    pts = lst(spec.get("policyTypes"))
    if len(pts) > 2:
        errs.append(fe.invalid("spec.policyTypes", fe.GoValue("&" + fe.go_string_slice([s(x) for x in pts], "[]networking.PolicyType")), "may not specify more than two policyTypes"))
        return
    for idx, pt in enumerate(pts):
        if pt not in ("Ingress", "Egress"):
            errs.append(fe.not_supported(f"spec.policyTypes[{idx}]", pt, ["Ingress", "Egress"]))


def validate_network_policy(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    _np_spec(d(obj.get("spec")), errs)
    return errs


def validate_network_policy_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _np_spec(d(new.get("spec")), errs)
    return errs


# --- policy ----------------------------------------------------------------------------------

def validate_pdb(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    spec = d(obj.get("spec"))
    mn, mx = spec.get("minAvailable"), spec.get("maxUnavailable")
    if mn is not None and mx is not None:
        errs.append(fe.invalid("spec", fe.go_struct("policy.PodDisruptionBudgetSpec", spec), "minAvailable and maxUnavailable cannot be both set"))
    if mn is not None:
        positive_int_or_percent(mn, "spec.minAvailable", errs)
        not_more_than_100_percent(mn, "spec.minAvailable", errs)
    if mx is not None:
        positive_int_or_percent(mx, "spec.maxUnavailable", errs)
        not_more_than_100_percent(mx, "spec.maxUnavailable", errs)
    validate_label_selector(spec.get("selector"), "spec.selector", errs)
    upe = spec.get("unhealthyPodEvictionPolicy")
    if upe is not None and upe not in ("AlwaysAllow", "IfHealthyBudget"):
        errs.append(fe.not_supported("spec.unhealthyPodEvictionPolicy", upe, ["AlwaysAllow", "IfHealthyBudget"]))
    if not errs:
        validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    return errs


def validate_pdb_update(new: dict, old: dict) -> list[Cause]:
    errs = validate_pdb(new)
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    return errs


# --- autoscaling -----------------------------------------------------------------------------

METRIC_TYPES = ("ContainerResource", "External", "Object", "Pods", "Resource")
_METRIC_FIELDS = {"Object": "object", "Pods": "pods", "Resource": "resource", "External": "external", "ContainerResource": "containerResource"}


def _cross_ref(ref: dict, path: str, errs: list[Cause]) -> None:
    for key in ("kind", "name"):
        v = s(ref.get(key))
        if not v:
            errs.append(fe.required(f"{path}.{key}"))
        else:
            for msg in names.path_segment_name(v):
                errs.append(fe.invalid(f"{path}.{key}", v, msg))


def _metric_target(t: dict, path: str, errs: list[Cause]) -> None:
    typ = s(t.get("type"))
    if not typ:
        errs.append(fe.required(path + ".type", "must specify a metric target type"))
    if typ not in ("Utilization", "Value", "AverageValue"):
        errs.append(fe.invalid(path + ".type", typ, "must be either Utilization, Value, or AverageValue"))
    for key in ("value", "averageValue"):
        qq = parse_qty(t.get(key))
        if t.get(key) is not None and (qq is None or qq.value <= 0):
            errs.append(fe.invalid(f"{path}.{key}", qq.canonical() if qq else t.get(key), "must be positive"))
    au = t.get("averageUtilization")
    if au is not None and is_int(au) and au < 1:
        errs.append(fe.invalid(path + ".averageUtilization", au, "must be greater than 0"))


def _metric_identifier(m: dict, path: str, errs: list[Cause]) -> None:
    name = s(m.get("name"))
    if not name:
        errs.append(fe.required(path + ".name", "must specify a metric name"))
    else:
        for msg in names.path_segment_name(name):
            errs.append(fe.invalid(path + ".name", name, msg))
    if m.get("selector") is not None:
        validate_label_selector(m.get("selector"), path + ".selector", errs)


def _metric(m: dict, path: str, errs: list[Cause]) -> None:
    typ = s(m.get("type"))
    if not typ:
        errs.append(fe.required(path + ".type", "must specify a metric source type"))
    if typ not in METRIC_TYPES:
        errs.append(fe.not_supported(path + ".type", typ, METRIC_TYPES))
    present = [f for f in ("object", "pods", "resource", "external", "containerResource") if m.get(f) is not None]
    expected = _METRIC_FIELDS.get(typ)
    if expected is not None and m.get(expected) is None:
        errs.append(fe.required(f"{path}.{expected}", "must populate information for the given metric source"))
    if len(present) != 1:
        for f in present:
            if f != expected:
                errs.append(fe.forbidden(f"{path}.{f}", "must populate the given metric source only"))
    for f in present:
        src = d(m.get(f))
        sp = f"{path}.{f}"
        target = d(src.get("target"))
        if f == "object":
            _cross_ref(d(src.get("describedObject")), sp + ".describedObject", errs)
            _metric_identifier(d(src.get("metric")), sp + ".metric", errs)
            _metric_target(target, sp + ".target", errs)
            if target.get("value") is None and target.get("averageValue") is None:
                errs.append(fe.required(sp + ".target.averageValue", "must set either a target value or averageValue"))
        elif f in ("pods", "external"):
            _metric_identifier(d(src.get("metric")), sp + ".metric", errs)
            _metric_target(target, sp + ".target", errs)
            if f == "pods" and target.get("averageValue") is None:
                errs.append(fe.required(sp + ".target.averageValue", "must specify a positive target averageValue"))
            if f == "external" and target.get("value") is None and target.get("averageValue") is None:
                errs.append(fe.required(sp + ".target.averageValue", "must set either a target value for metric or a per-pod target"))
        else:
            name = s(src.get("name"))
            if not name:
                errs.append(fe.required(sp + ".name", "must specify a resource name"))
            else:
                validate_container_resource_name(name, sp + ".name", errs)
            if f == "containerResource":
                cn = s(src.get("container"))
                if not cn:
                    errs.append(fe.required(sp + ".container", "must specify a container"))
                else:
                    dns1123_label(cn, sp + ".container", errs)
            _metric_target(target, sp + ".target", errs)
            if target.get("averageUtilization") is None and target.get("averageValue") is None:
                errs.append(fe.required(sp + ".target.averageUtilization", "must set either a target raw value or a target utilization"))
            if target.get("averageUtilization") is not None and target.get("averageValue") is not None:
                errs.append(fe.forbidden(sp + ".target.averageValue", "may not set both a target raw value and a target utilization"))


def _scaling_rules(rules: Any, path: str, errs: list[Cause]) -> None:
    if rules is None:
        return
    rules = d(rules)
    sw = rules.get("stabilizationWindowSeconds")
    if is_int(sw):
        if sw < 0:
            errs.append(fe.invalid(path + ".stabilizationWindowSeconds", sw, "must be greater than or equal to zero"))
        if sw > 3600:
            errs.append(fe.invalid(path + ".stabilizationWindowSeconds", sw, "must be less than or equal to 3600"))
    sp = rules.get("selectPolicy")
    if sp is not None and sp not in ("Disabled", "Max", "Min"):
        errs.append(fe.not_supported(path + ".selectPolicy", sp, ["Disabled", "Max", "Min"]))
    pols = lst(rules.get("policies"))
    if not pols:
        errs.append(fe.required(path + ".policies", "must specify at least one Policy"))
    for idx, p in enumerate(pols):
        p = d(p)
        pp = f"{path}.policies[{idx}]"
        t = p.get("type")
        if t not in ("Pods", "Percent"):
            errs.append(fe.not_supported(pp + ".type", t, ["Percent", "Pods"]))
        v = p.get("value")
        if not is_int(v) or v <= 0:
            errs.append(fe.invalid(pp + ".value", i(v), "must be greater than zero"))
        per = p.get("periodSeconds")
        if not is_int(per) or per <= 0:
            errs.append(fe.invalid(pp + ".periodSeconds", i(per), "must be greater than zero"))
        elif per > 1800:
            errs.append(fe.invalid(pp + ".periodSeconds", per, "must be less than or equal to 1800"))


def _hpa_v2_spec(spec: dict, errs: list[Cause]) -> None:
    mn = spec.get("minReplicas")
    mx = spec.get("maxReplicas")
    if is_int(mn) and mn < 1:
        errs.append(fe.invalid("spec.minReplicas", mn, "must be greater than or equal to 1"))
    if not is_int(mx) or mx < 1:
        errs.append(fe.invalid("spec.maxReplicas", i(mx), "must be greater than 0"))
    if is_int(mn) and is_int(mx) and mx < mn:
        errs.append(fe.invalid("spec.maxReplicas", mx, "must be greater than or equal to `minReplicas`"))
    _cross_ref(d(spec.get("scaleTargetRef")), "spec.scaleTargetRef", errs)
    for idx, m in enumerate(lst(spec.get("metrics"))):
        _metric(d(m), f"spec.metrics[{idx}]", errs)
    beh = spec.get("behavior")
    if beh is not None:
        _scaling_rules(d(beh).get("scaleUp"), "spec.behavior.scaleUp", errs)
        _scaling_rules(d(beh).get("scaleDown"), "spec.behavior.scaleDown", errs)


def validate_hpa_v2(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    _hpa_v2_spec(d(obj.get("spec")), errs)
    return errs


def validate_hpa_v2_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _hpa_v2_spec(d(new.get("spec")), errs)
    return errs


def validate_hpa_v1(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    spec = d(obj.get("spec"))
    mn, mx = spec.get("minReplicas"), spec.get("maxReplicas")
    if is_int(mn) and mn < 1:
        errs.append(fe.invalid("spec.minReplicas", mn, "must be greater than or equal to 1"))
    if not is_int(mx) or mx < 1:
        errs.append(fe.invalid("spec.maxReplicas", i(mx), "must be greater than 0"))
    if is_int(mn) and is_int(mx) and mx < mn:
        errs.append(fe.invalid("spec.maxReplicas", mx, "must be greater than or equal to `minReplicas`"))
    _cross_ref(d(spec.get("scaleTargetRef")), "spec.scaleTargetRef", errs)
    t = spec.get("targetCPUUtilizationPercentage")
    if is_int(t) and t < 1:
        errs.append(fe.invalid("spec.metrics[0].resource.target.averageUtilization", t, "must be greater than 0"))
    return errs


def validate_hpa_v1_update(new: dict, old: dict) -> list[Cause]:
    errs = validate_hpa_v1(new)
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    return errs


# --- RBAC ------------------------------------------------------------------------------------

rbac_name = names.path_segment_name
RBAC_GROUP = "rbac.authorization.k8s.io"


def _policy_rule(rule: dict, namespaced: bool, path: str, errs: list[Cause]) -> None:
    if not lst(rule.get("verbs")):
        errs.append(fe.required(path + ".verbs", "verbs must contain at least one value"))
    urls = lst(rule.get("nonResourceURLs"))
    if urls:
        urls_go = fe.GoValue(fe.go_string_slice([s(u) for u in urls]))
        if namespaced:
            errs.append(fe.invalid(path + ".nonResourceURLs", urls_go, "namespaced rules cannot apply to non-resource URLs"))
        if lst(rule.get("apiGroups")) or lst(rule.get("resources")) or lst(rule.get("resourceNames")):
            errs.append(fe.invalid(path + ".nonResourceURLs", urls_go, "rules cannot apply to both regular resources and non-resource URLs"))
        return
    if not lst(rule.get("apiGroups")):
        errs.append(fe.required(path + ".apiGroups", "resource rules must supply at least one api group"))
    if not lst(rule.get("resources")):
        errs.append(fe.required(path + ".resources", "resource rules must supply at least one resource"))


def validate_role(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, rbac_name, errs)
    for idx, rule in enumerate(lst(obj.get("rules"))):
        _policy_rule(d(rule), True, f"rules[{idx}]", errs)
    return errs


def validate_role_update(new: dict, old: dict) -> list[Cause]:
    errs = validate_role(new)
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    return errs


def validate_cluster_role(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), False, rbac_name, errs)
    for idx, rule in enumerate(lst(obj.get("rules"))):
        _policy_rule(d(rule), False, f"rules[{idx}]", errs)
    agg = obj.get("aggregationRule")
    if agg is not None:
        sels = lst(d(agg).get("clusterRoleSelectors"))
        if not sels:
            errs.append(fe.required("aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is non-nil"))
        for idx, sel in enumerate(sels):
            validate_label_selector(sel, f"aggregationRule.clusterRoleSelectors[{idx}]", errs)
    return errs


def validate_cluster_role_update(new: dict, old: dict) -> list[Cause]:
    errs = validate_cluster_role(new)
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    return errs


def _subject(sub: dict, namespaced: bool, path: str, errs: list[Cause]) -> None:
    name = s(sub.get("name"))
    if not name:
        errs.append(fe.required(path + ".name"))
    kind = s(sub.get("kind"))
    group = s(sub.get("apiGroup"))
    if kind == "ServiceAccount":
        if name:
            for msg in names.name_is_dns_subdomain(name):
                errs.append(fe.invalid(path + ".name", name, msg))
        if group:
            errs.append(fe.not_supported(path + ".apiGroup", group, [""]))
        if not namespaced and not s(sub.get("namespace")):
            errs.append(fe.required(path + ".namespace"))
    elif kind in ("User", "Group"):
        if group != RBAC_GROUP:
            errs.append(fe.not_supported(path + ".apiGroup", group, [RBAC_GROUP]))
    else:
        errs.append(fe.not_supported(path + ".kind", kind, ["ServiceAccount", "User", "Group"]))


def _binding(obj: dict, namespaced: bool, errs: list[Cause]) -> None:
    validate_object_meta(obj.get("metadata"), namespaced, rbac_name, errs)
    rr = d(obj.get("roleRef"))
    if s(rr.get("apiGroup")) != RBAC_GROUP:
        errs.append(fe.not_supported("roleRef.apiGroup", s(rr.get("apiGroup")), [RBAC_GROUP]))
    kind = s(rr.get("kind"))
    if namespaced:
        if kind not in ("Role", "ClusterRole"):
            errs.append(fe.not_supported("roleRef.kind", kind, ["Role", "ClusterRole"]))
    elif kind != "ClusterRole":
        errs.append(fe.not_supported("roleRef.kind", kind, ["ClusterRole"]))
    rn = s(rr.get("name"))
    if not rn:
        errs.append(fe.required("roleRef.name"))
    else:
        for msg in rbac_name(rn):
            errs.append(fe.invalid("roleRef.name", rn, msg))
    for idx, sub in enumerate(lst(obj.get("subjects"))):
        _subject(d(sub), namespaced, f"subjects[{idx}]", errs)


def validate_role_binding(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    _binding(obj, True, errs)
    return errs


def validate_cluster_role_binding(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    _binding(obj, False, errs)
    return errs


def _role_ref_go(rr: dict) -> fe.GoValue:
    return fe.GoValue(f'rbac.RoleRef{{APIGroup:{fe.go_quote(s(rr.get("apiGroup")))}, Kind:{fe.go_quote(s(rr.get("kind")))}, Name:{fe.go_quote(s(rr.get("name")))}}}')


def _binding_update(new: dict, old: dict, namespaced: bool) -> list[Cause]:
    errs: list[Cause] = []
    _binding(new, namespaced, errs)
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    if d(new.get("roleRef")) != d(old.get("roleRef")):
        errs.append(fe.invalid("roleRef", _role_ref_go(d(new.get("roleRef"))), "cannot change roleRef"))
    return errs


def validate_role_binding_update(new: dict, old: dict) -> list[Cause]:
    return _binding_update(new, old, True)


def validate_cluster_role_binding_update(new: dict, old: dict) -> list[Cause]:
    return _binding_update(new, old, False)


# --- coordination / scheduling / storage -----------------------------------------------------

def validate_lease(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    spec = d(obj.get("spec"))
    lds = spec.get("leaseDurationSeconds")
    if is_int(lds) and lds <= 0:
        errs.append(fe.invalid("spec.leaseDurationSeconds", lds, "must be greater than 0"))
    lt = spec.get("leaseTransitions")
    if is_int(lt) and lt < 0:
        errs.append(fe.invalid("spec.leaseTransitions", lt, "must be greater than or equal to 0"))
    strategy = spec.get("strategy")
    if strategy is not None and strategy not in ("OldestEmulationVersion",):
        errs.append(fe.not_supported("spec.strategy", strategy, ["OldestEmulationVersion"]))
    if s(spec.get("preferredHolder")) and not s(strategy):
        errs.append(fe.forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"))
    return errs


def validate_lease_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    errs.extend(validate_lease(new))
    return errs


SYSTEM_PRIORITY_CLASSES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}


def validate_priority_class(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    meta = d(obj.get("metadata"))
    validate_object_meta(meta, False, dns_subdomain, errs)
    name = s(meta.get("name"))
    value = obj.get("value")
    if name.startswith("system-"):
        err = ""
        if name not in SYSTEM_PRIORITY_CLASSES:
            err = f"{name} is not a known system priority class"
        elif value != SYSTEM_PRIORITY_CLASSES[name]:
            err = f"value of {name} PriorityClass must be {SYSTEM_PRIORITY_CLASSES[name]}"
        elif obj.get("globalDefault") is True:
            err = f"globalDefault of {name} PriorityClass must be false"
        if err:
            errs.append(fe.forbidden("metadata.name", f"priority class names with 'system-' prefix are reserved for system use only. error: {err}"))
    elif is_int(value) and value > 1000000000:
        errs.append(fe.forbidden("value", "maximum allowed value of a user defined priority is 1000000000"))
    pp = obj.get("preemptionPolicy")
    if pp is not None:
        if pp == "":
            errs.append(fe.required("preemptionPolicy"))
        elif pp not in ("PreemptLowerPriority", "Never"):
            errs.append(fe.not_supported("preemptionPolicy", pp, ["PreemptLowerPriority", "Never"]))
    return errs


def validate_priority_class_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    if new.get("value") != old.get("value"):
        errs.append(fe.forbidden("value", "may not be changed in an update."))
    if new.get("preemptionPolicy") != old.get("preemptionPolicy"):
        errs.append(fe.immutable("preemptionPolicy", new.get("preemptionPolicy")))
    return errs


def validate_storage_class(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), False, dns_subdomain, errs)
    prov = s(obj.get("provisioner"))
    if not prov:
        errs.append(fe.required("provisioner"))
    else:
        if len(prov) > 63:
            errs.append(fe.too_long("provisioner", 63))
        for msg in names.is_qualified_name(prov.lower()):
            errs.append(fe.invalid("provisioner", prov, msg))
    params = d(obj.get("parameters"))
    total = 0
    for k, v in params.items():
        if not k:
            errs.append(fe.invalid("parameters", fe.GoValue(fe.go_string_map(params)), "field can not be empty."))
        total += len(k) + len(s(v))
    if total > 256 * 1024:
        errs.append(fe.too_long("parameters", 256 * 1024))
    rp = obj.get("reclaimPolicy")
    if rp and rp not in ("Delete", "Retain"):
        errs.append(fe.not_supported("reclaimPolicy", rp, ["Delete", "Retain"]))
    vbm = obj.get("volumeBindingMode")
    if vbm is None:
        errs.append(fe.required("volumeBindingMode"))
    elif vbm not in ("Immediate", "WaitForFirstConsumer"):
        errs.append(fe.not_supported("volumeBindingMode", vbm, ["Immediate", "WaitForFirstConsumer"]))
    return errs


def validate_storage_class_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    if (new.get("parameters") or None) != (old.get("parameters") or None):
        errs.append(fe.forbidden("parameters", "updates to parameters are forbidden."))
    if new.get("provisioner") != old.get("provisioner"):
        errs.append(fe.forbidden("provisioner", "updates to provisioner are forbidden."))
    if new.get("reclaimPolicy") != old.get("reclaimPolicy"):
        errs.append(fe.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
    if new.get("volumeBindingMode") != old.get("volumeBindingMode"):
        errs.append(fe.immutable("volumeBindingMode", new.get("volumeBindingMode")))
    return errs


# --- discovery -------------------------------------------------------------------------------

ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")


def validate_endpoint_slice(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    at = s(obj.get("addressType"))
    if at not in ADDRESS_TYPES:
        errs.append(fe.not_supported("addressType", at, ADDRESS_TYPES))
    eps = lst(obj.get("endpoints"))
    if len(eps) > 1000:
        errs.append(fe.too_many("endpoints", len(eps), 1000))
    for idx, ep in enumerate(eps):
        ep = d(ep)
        p = f"endpoints[{idx}]"
        addrs = lst(ep.get("addresses"))
        if not addrs:
            errs.append(fe.required(p + ".addresses", "must contain at least 1 address"))
        elif len(addrs) > 100:
            errs.append(fe.too_many(p + ".addresses", len(addrs), 100))
        for j, a in enumerate(addrs):
            a = s(a)
            ap = f"{p}.addresses[{j}]"
            if at in ("IPv4", "IPv6"):
                ip = parse_ip_sloppy(a)
                if ip is None:
                    errs.append(fe.invalid(ap, a, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
                elif (ip.version == 4) != (at == "IPv4"):
                    errs.append(fe.invalid(ap, a, f"must be an {at} address"))
            elif at == "FQDN":
                dns1123_subdomain(a, ap, errs)
        hn = ep.get("hostname")
        if hn is not None:
            dns1123_label(s(hn), p + ".hostname", errs)
        nn = ep.get("nodeName")
        if nn is not None:
            for msg in names.name_is_dns_subdomain(s(nn)):
                errs.append(fe.invalid(p + ".nodeName", s(nn), msg))
    ports = lst(obj.get("ports"))
    if len(ports) > 20000:
        errs.append(fe.too_many("ports", len(ports), 20000))
    seen: set[str] = set()
    for idx, port in enumerate(ports):
        port = d(port)
        p = f"ports[{idx}]"
        pn = s(port.get("name"))
        if pn:
            dns1123_label(pn, p + ".name", errs)
        if pn in seen:
            errs.append(fe.duplicate(p + ".name", pn))
        seen.add(pn)
        proto = port.get("protocol")
        if proto is None:
            errs.append(fe.required(p + ".protocol"))
        elif proto not in PROTOCOLS:
            errs.append(fe.not_supported(p + ".protocol", proto, PROTOCOLS))
        ap_ = port.get("appProtocol")
        if ap_ is not None:
            for msg in names.is_qualified_name(s(ap_)):
                errs.append(fe.invalid(p + ".appProtocol", s(ap_), msg))
    return errs


def validate_endpoint_slice_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    errs.extend(validate_endpoint_slice(new))
    if new.get("addressType") != old.get("addressType"):
        errs.append(fe.immutable("addressType", new.get("addressType")))
    return errs


# --- admissionregistration -------------------------------------------------------------------

def _webhook_config(obj: dict, mutating: bool, errs: list[Cause]) -> None:
    validate_object_meta(obj.get("metadata"), False, dns_subdomain, errs)
    seen: set[str] = set()
    for idx, wh in enumerate(lst(obj.get("webhooks"))):
        wh = d(wh)
        p = f"webhooks[{idx}]"
        name = s(wh.get("name"))
        if not name:
            errs.append(fe.required(p + ".name"))
        elif names.is_dns1123_subdomain(name):
            errs.append(fe.invalid(p + ".name", name, ",".join(names.is_dns1123_subdomain(name))))
        elif len(name.split(".")) < 3:
            errs.append(fe.invalid(p + ".name", name, "should be a domain with at least three segments separated by dots"))
        if name in seen:
            errs.append(fe.duplicate(p + ".name", name))
        seen.add(name)
        se = wh.get("sideEffects")
        if se is None:
            errs.append(fe.required(p + ".sideEffects", "must specify one of None, NoneOnDryRun"))
        elif se not in ("None", "NoneOnDryRun"):
            errs.append(fe.not_supported(p + ".sideEffects", se, ["None", "NoneOnDryRun"]))
        arv = lst(wh.get("admissionReviewVersions"))
        if not arv:
            errs.append(fe.required(p + ".admissionReviewVersions", "must specify one of v1, v1beta1"))
        cc = d(wh.get("clientConfig"))
        has_url = cc.get("url") is not None
        has_svc = cc.get("service") is not None
        if has_url and has_svc:
            errs.append(fe.required(p + ".clientConfig", "exactly one of url or service is required"))
        elif not has_url and not has_svc:
            errs.append(fe.required(p + ".clientConfig", "exactly one of url or service is required"))
        fp = wh.get("failurePolicy")
        if fp is not None and fp not in ("Fail", "Ignore"):
            errs.append(fe.not_supported(p + ".failurePolicy", fp, ["Fail", "Ignore"]))
        mp = wh.get("matchPolicy")
        if mp is not None and mp not in ("Equivalent", "Exact"):
            errs.append(fe.not_supported(p + ".matchPolicy", mp, ["Equivalent", "Exact"]))
        ts = wh.get("timeoutSeconds")
        if is_int(ts) and (ts < 1 or ts > 30):
            errs.append(fe.invalid(p + ".timeoutSeconds", ts, "the timeout value must be between 1 and 30 seconds"))
        if mutating:
            rp = wh.get("reinvocationPolicy")
            if rp is not None and rp not in ("IfNeeded", "Never"):
                errs.append(fe.not_supported(p + ".reinvocationPolicy", rp, ["IfNeeded", "Never"]))
        validate_label_selector(wh.get("namespaceSelector"), p + ".namespaceSelector", errs)
        validate_label_selector(wh.get("objectSelector"), p + ".objectSelector", errs)


def validate_validating_webhooks(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    _webhook_config(obj, False, errs)
    return errs


def validate_mutating_webhooks(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    _webhook_config(obj, True, errs)
    return errs


def validate_validating_webhooks_update(new: dict, old: dict) -> list[Cause]:
    errs = validate_validating_webhooks(new)
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    return errs


def validate_mutating_webhooks_update(new: dict, old: dict) -> list[Cause]:
    errs = validate_mutating_webhooks(new)
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    return errs


# --- apiextensions ---------------------------------------------------------------------------

def validate_crd(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    meta = d(obj.get("metadata"))
    validate_object_meta(meta, False, dns_subdomain, errs, kube_finalizers=False)
    spec = d(obj.get("spec"))
    nm = d(spec.get("names"))
    group = s(spec.get("group"))
    plural = s(nm.get("plural"))
    name = s(meta.get("name"))
    if name != f"{plural}.{group}":
        errs.append(fe.invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"))
    if not group:
        errs.append(fe.required("spec.group"))
    else:
        before = len(errs)
        dns1123_subdomain(group, "spec.group", errs)
        if len(errs) == before and len(group.split(".")) < 2:
            errs.append(fe.invalid("spec.group", group, "should be a domain with at least one dot"))
    scope = s(spec.get("scope"))
    if not scope:
        errs.append(fe.required("spec.scope"))
    elif scope not in ("Cluster", "Namespaced"):
        errs.append(fe.not_supported("spec.scope", scope, ["Cluster", "Namespaced"]))
    versions = lst(spec.get("versions"))
    if not versions:
        errs.append(fe.invalid("spec.versions", fe.GoValue("[]apiextensions.CustomResourceDefinitionVersion(nil)"), "must have exactly one version marked as storage version"))
    storage = 0
    seen: set[str] = set()
    for idx, v in enumerate(versions):
        v = d(v)
        vp = f"spec.versions[{idx}]"
        vn = s(v.get("name"))
        if v.get("storage") is True:
            storage += 1
        if vn in seen:
            errs.append(fe.invalid("spec.versions", fe.GoValue("[]apiextensions.CustomResourceDefinitionVersion{...}"), "must contain unique version names"))
        seen.add(vn)
        for msg in names.is_dns1035_label(vn):
            errs.append(fe.invalid(vp + ".name", vn, msg))
    if versions and storage != 1:
        errs.append(fe.invalid("spec.versions", fe.GoValue("[]apiextensions.CustomResourceDefinitionVersion{...}"), "must have exactly one version marked as storage version"))
    if versions and not any(d(v).get("served") is True for v in versions):
        errs.append(fe.invalid("spec.versions", fe.GoValue("[]apiextensions.CustomResourceDefinitionVersion{...}"), "must serve at least one version"))
    np = "spec.names"
    def _label(value: str, key: str, lower: bool) -> None:
        msgs = names.is_dns1035_label(value.lower() if lower else value)
        if value and msgs:
            errs.append(fe.invalid(f"{np}.{key}", value, ",".join(msgs)))

    _label(plural, "plural", False)
    _label(s(nm.get("singular")), "singular", False)
    kind = s(nm.get("kind"))
    _label(kind, "kind", True)
    lk = s(nm.get("listKind"))
    _label(lk, "listKind", True)
    if not plural:
        errs.append(fe.required(np + ".plural"))
    if not kind:
        errs.append(fe.required(np + ".kind"))
    if not lk:
        errs.append(fe.required(np + ".listKind"))
    elif lk == kind:
        errs.append(fe.invalid(np + ".listKind", lk, "kind and listKind may not be the same"))
    return errs


def validate_crd_update(new: dict, old: dict) -> list[Cause]:
    errs = validate_crd(new)
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs, kube_finalizers=False)
    nspec, ospec = d(new.get("spec")), d(old.get("spec"))
    if nspec.get("group") != ospec.get("group"):
        errs.append(fe.immutable("spec.group", s(nspec.get("group"))))
    if d(nspec.get("names")).get("plural") != d(ospec.get("names")).get("plural"):
        errs.append(fe.immutable("spec.names.plural", s(d(nspec.get("names")).get("plural"))))
    return errs

