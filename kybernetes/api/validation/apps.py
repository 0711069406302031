"""Validation of apps/v1 kinds (pkg/apis/apps/validation)."""

from __future__ import annotations

from ..errors import Cause
from . import fielderr as fe
from .common import (
    int_or_percent_value,
    nonnegative,
    not_more_than_100_percent,
    positive_int_or_percent,
    selector_matches,
    selector_parses,
    validate_label_selector,
)
from .core import dns1123_label, dns_subdomain, validate_pod_template_spec, validate_pvc_spec, _strip_nulls
from .meta import d, lst, s, validate_annotations, validate_labels, validate_object_meta, validate_object_meta_update


def _selector_checks(spec: dict, kind: str, errs: list[Cause]) -> None:
    sel = spec.get("selector")
    if sel is None:
        errs.append(fe.required("spec.selector"))
    else:
        validate_label_selector(sel, "spec.selector", errs)
        if not d(sel).get("matchLabels") and not d(sel).get("matchExpressions"):
            errs.append(fe.invalid("spec.selector", fe.go_label_selector(d(sel)), f"empty selector is invalid for {kind}"))


def _template_matches(spec: dict, errs: list[Cause]) -> bool:
    """The selector/template-labels check; returns False when the selector does not parse."""
    sel = spec.get("selector")
    if not selector_parses(sel):
        return False
    tpl = d(spec.get("template"))
    labels = d(tpl.get("metadata")).get("labels")
    if sel is None or d(sel).get("matchLabels") or d(sel).get("matchExpressions"):
        # a nil selector is labels.Nothing(): not empty, matches nothing
        if not selector_matches(sel, labels):
            errs.append(fe.invalid("spec.template.metadata.labels", fe.GoValue(fe.go_string_map(d(labels) if labels is not None else None)), "`selector` does not match template `labels`"))
    return True


def _pod_template_for_rs(spec: dict, kind_name: str, errs: list[Cause]) -> None:
    if not _template_matches(spec, errs):
        errs.append(fe.invalid("spec.selector", fe.go_label_selector(d(spec.get("selector"))), "invalid label selector"))
        return
    tpl = d(spec.get("template"))
    validate_pod_template_spec(tpl, "spec.template", errs)
    tspec = d(tpl.get("spec"))
    rp = s(tspec.get("restartPolicy"))
    if rp != "Always":
        errs.append(fe.not_supported("spec.template.spec.restartPolicy", rp, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(fe.forbidden("spec.template.spec.activeDeadlineSeconds", f"activeDeadlineSeconds in {kind_name} is not Supported"))


# --- Deployment ---------------------------------------------------------------------------------

def _deployment_spec(spec: dict, errs: list[Cause]) -> None:
    nonnegative(spec.get("replicas"), "spec.replicas", errs)
    _selector_checks(spec, "deployment", errs)
    _pod_template_for_rs(spec, "ReplicaSet", errs)
    strategy = d(spec.get("strategy"))
    typ = s(strategy.get("type"))
    if typ == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            errs.append(fe.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
    elif typ == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if ru is None:
            errs.append(fe.required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil"))
        else:
            ru = d(ru)
            mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
            positive_int_or_percent(mu, "spec.strategy.rollingUpdate.maxUnavailable", errs)
            positive_int_or_percent(ms, "spec.strategy.rollingUpdate.maxSurge", errs)
            if int_or_percent_value(mu)[0] == 0 and int_or_percent_value(ms)[0] == 0:
                errs.append(fe.invalid("spec.strategy.rollingUpdate.maxUnavailable", fe.go_int_or_string(mu), "may not be 0 when `maxSurge` is 0"))
            not_more_than_100_percent(mu, "spec.strategy.rollingUpdate.maxUnavailable", errs)
    else:
        errs.append(fe.not_supported("spec.strategy", fe.go_struct("apps.DeploymentStrategy", strategy), ["Recreate", "RollingUpdate"]))
    nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds", errs)
    nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit", errs)
    rb = spec.get("rollbackTo")
    if rb is not None:
        nonnegative(d(rb).get("revision"), "spec.rollback.version", errs)
    pds = spec.get("progressDeadlineSeconds")
    if pds is not None:
        nonnegative(pds, "spec.progressDeadlineSeconds", errs)
        mrs = spec.get("minReadySeconds") or 0
        if isinstance(pds, int) and isinstance(mrs, int) and pds <= mrs:
            errs.append(fe.invalid("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"))


def validate_deployment(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    _deployment_spec(d(obj.get("spec")), errs)
    return errs


def _immutable_selector(new: dict, old: dict, errs: list[Cause]) -> None:
    ns, os_ = d(new.get("spec")).get("selector"), d(old.get("spec")).get("selector")
    if _strip_nulls(ns) != _strip_nulls(os_):
        errs.append(fe.invalid("spec.selector", fe.go_label_selector(d(ns) if ns is not None else None), fe.IMMUTABLE))


def validate_deployment_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _deployment_spec(d(new.get("spec")), errs)
    _immutable_selector(new, old, errs)
    return errs


# --- ReplicaSet ---------------------------------------------------------------------------------

def _replica_set_spec(spec: dict, errs: list[Cause]) -> None:
    nonnegative(spec.get("replicas"), "spec.replicas", errs)
    nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds", errs)
    _selector_checks(spec, "deployment", errs)
    _pod_template_for_rs(spec, "ReplicaSet", errs)


def validate_replica_set(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    _replica_set_spec(d(obj.get("spec")), errs)
    return errs


def validate_replica_set_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _replica_set_spec(d(new.get("spec")), errs)
    _immutable_selector(new, old, errs)
    return errs


# --- StatefulSet --------------------------------------------------------------------------------

def _statefulset_spec(spec: dict, errs: list[Cause], update: bool = False, skip_template: bool = False) -> None:
    pmp = s(spec.get("podManagementPolicy"))
    if pmp == "":
        errs.append(fe.required("spec.podManagementPolicy"))
    elif pmp not in ("OrderedReady", "Parallel"):
        errs.append(fe.invalid("spec.podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'"))
    us = d(spec.get("updateStrategy"))
    ut = s(us.get("type"))
    if ut == "":
        errs.append(fe.required("spec.updateStrategy"))
    elif ut == "OnDelete":
        if us.get("rollingUpdate") is not None:
            errs.append(fe.invalid("spec.updateStrategy.rollingUpdate", fe.go_struct("apps.RollingUpdateStatefulSetStrategy", d(us.get("rollingUpdate"))), "only allowed for updateStrategy 'RollingUpdate'"))
    elif ut == "RollingUpdate":
        ru = us.get("rollingUpdate")
        if ru is not None:
            ru = d(ru)
            nonnegative(ru.get("partition"), "spec.updateStrategy.rollingUpdate.partition", errs)
            mu = ru.get("maxUnavailable")
            if mu is not None:
                p = "spec.updateStrategy.rollingUpdate.maxUnavailable"
                positive_int_or_percent(mu, p, errs)
                if int_or_percent_value(mu)[0] == 0:
                    errs.append(fe.invalid(p, fe.go_int_or_string(mu), "cannot be 0"))
                not_more_than_100_percent(mu, p, errs)
    else:
        errs.append(fe.invalid("spec.updateStrategy", fe.go_struct("apps.StatefulSetUpdateStrategy", us), "must be 'RollingUpdate' or 'OnDelete'"))
    pol = spec.get("persistentVolumeClaimRetentionPolicy")
    if pol is not None:
        pol = d(pol)
        for key in ("whenDeleted", "whenScaled"):
            v = s(pol.get(key))
            if v not in ("Retain", "Delete"):
                errs.append(fe.not_supported(f"spec.persistentVolumeClaimRetentionPolicy.{key}", v, ["Retain", "Delete"]))
    if not update:
        for idx, vct in enumerate(lst(spec.get("volumeClaimTemplates"))):
            validate_pvc_spec(d(d(vct).get("spec")), f"spec.volumeClaimTemplates[{idx}].spec", errs)
    nonnegative(spec.get("replicas"), "spec.replicas", errs)
    nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds", errs)
    ords = spec.get("ordinals")
    if ords is not None:
        nonnegative(d(ords).get("start"), "spec.ordinals.start", errs)
    sn = s(spec.get("serviceName"))
    if not update and sn:
        dns1123_label(sn, "spec.serviceName", errs)
    sel = spec.get("selector")
    if sel is None:
        errs.append(fe.required("spec.selector"))
    else:
        validate_label_selector(sel, "spec.selector", errs)
        if not d(sel).get("matchLabels") and not d(sel).get("matchExpressions"):
            errs.append(fe.invalid("spec.selector", fe.go_label_selector(d(sel)), "empty selector is invalid for statefulset"))
    if not selector_parses(sel):
        errs.append(fe.invalid("spec.selector", fe.go_label_selector(d(sel)), ""))
    else:
        tpl = d(spec.get("template"))
        labels = d(tpl.get("metadata")).get("labels")
        if (sel is None or d(sel).get("matchLabels") or d(sel).get("matchExpressions")) and not selector_matches(sel, labels):
            errs.append(fe.invalid("spec.template.metadata.labels", fe.GoValue(fe.go_string_map(d(labels) if labels is not None else None)), "`selector` does not match template `labels`"))
        if not skip_template:
            to_check = tpl
            vcts = lst(spec.get("volumeClaimTemplates"))
            tspec = d(tpl.get("spec"))
            if vcts or tspec.get("subdomain") or tspec.get("hostname"):
                tspec = dict(tspec)
                tspec.pop("subdomain", None)
                tspec.pop("hostname", None)
                if vcts:
                    claim_vols = []
                    for v in vcts:
                        cn = s(d(d(v).get("metadata")).get("name"))
                        claim_vols.append({"name": cn, "persistentVolumeClaim": {"claimName": cn}})
                    claim_names = {cv["name"] for cv in claim_vols}
                    tspec["volumes"] = claim_vols + [v for v in lst(tspec.get("volumes")) if s(d(v).get("name")) not in claim_names]
                to_check = dict(tpl, spec=tspec)
            validate_pod_template_spec(to_check, "spec.template", errs)
        validate_labels(d(tpl.get("metadata")).get("labels"), "spec.template.labels", errs)
        validate_annotations(d(tpl.get("metadata")).get("annotations"), "spec.template.annotations", errs)
    tspec = d(d(spec.get("template")).get("spec"))
    rp = s(tspec.get("restartPolicy"))
    if rp != "Always":
        errs.append(fe.not_supported("spec.template.spec.restartPolicy", rp, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(fe.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in StatefulSet is not Supported"))


def validate_stateful_set(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    _statefulset_spec(d(obj.get("spec")), errs)
    return errs


STS_UPDATABLE = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"


def validate_stateful_set_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    old_errs: list[Cause] = []
    _statefulset_spec(d(old.get("spec")), old_errs, update=True)
    _statefulset_spec(d(new.get("spec")), errs, update=True, skip_template=bool(old_errs))
    nspec = dict(d(new.get("spec")))
    ospec = d(old.get("spec"))
    for key in ("replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "persistentVolumeClaimRetentionPolicy"):
        if key in ospec:
            nspec[key] = ospec[key]
        else:
            nspec.pop(key, None)
    if _strip_nulls(nspec) != _strip_nulls(ospec):
        errs.append(fe.forbidden("spec", STS_UPDATABLE))
    return errs


# --- DaemonSet ----------------------------------------------------------------------------------

def _daemonset_spec(spec: dict, errs: list[Cause]) -> None:
    sel = spec.get("selector")
    validate_label_selector(sel, "spec.selector", errs)
    tpl = d(spec.get("template"))
    labels = d(tpl.get("metadata")).get("labels")
    if selector_parses(sel) and not selector_matches(sel, labels):
        errs.append(fe.invalid("spec.template.metadata.labels", fe.GoValue(fe.go_string_map(d(labels) if labels is not None else None)), "`selector` does not match template `labels`"))
    if sel is not None and not d(sel).get("matchLabels") and not d(sel).get("matchExpressions"):
        errs.append(fe.invalid("spec.selector", fe.go_label_selector(d(sel)), "empty selector is invalid for daemonset"))
    validate_pod_template_spec(tpl, "spec.template", errs)
    tspec = d(tpl.get("spec"))
    rp = s(tspec.get("restartPolicy"))
    if rp != "Always":
        errs.append(fe.not_supported("spec.template.spec.restartPolicy", rp, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(fe.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in DaemonSet is not Supported"))
    nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds", errs)
    nonnegative(spec.get("templateGeneration"), "spec.templateGeneration", errs)
    us = d(spec.get("updateStrategy"))
    ut = s(us.get("type"))
    if ut == "OnDelete":
        pass
    elif ut == "RollingUpdate":
        ru = us.get("rollingUpdate")
        if ru is None:
            errs.append(fe.required("spec.updateStrategy.rollingUpdate"))
        else:
            ru = d(ru)
            p = "spec.updateStrategy.rollingUpdate"
            mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
            positive_int_or_percent(mu, p + ".maxUnavailable", errs)
            positive_int_or_percent(ms, p + ".maxSurge", errs)
            not_more_than_100_percent(mu, p + ".maxUnavailable", errs)
            not_more_than_100_percent(ms, p + ".maxSurge", errs)
            has_u = int_or_percent_value(mu)[0] != 0
            has_s = int_or_percent_value(ms)[0] != 0
            if has_u and has_s:
                errs.append(fe.invalid(p + ".maxSurge", fe.go_int_or_string(ms), "may not be set when maxUnavailable is non-zero"))
            elif not has_u and not has_s:
                errs.append(fe.required(p + ".maxUnavailable", "cannot be 0 when maxSurge is 0"))
    else:
        errs.append(fe.not_supported("spec.updateStrategy", fe.go_struct("apps.DaemonSetUpdateStrategy", us), ["RollingUpdate", "OnDelete"]))
    nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit", errs)


def validate_daemon_set(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    _daemonset_spec(d(obj.get("spec")), errs)
    return errs


def validate_daemon_set_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    # apps/v1 has no spec.templateGeneration: the server keeps it in an annotation
    # (see validation.prepare_update), so upstream's generation checks do not apply.
    nspec = d(new.get("spec"))
    _immutable_selector(new, old, errs)
    _daemonset_spec(nspec, errs)
    return errs


def validate_controller_revision(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    nonnegative(obj.get("revision"), "revision", errs)
    data = obj.get("data")
    if data is None:
        errs.append(fe.required("data", "data is mandatory"))
    elif not isinstance(data, dict):
        errs.append(fe.required("data", "data must be a valid JSON object"))
    return errs


def validate_controller_revision_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    validate_object_meta(new.get("metadata"), True, dns_subdomain, errs)
    nonnegative(new.get("revision"), "revision", errs)
    if new.get("data") != old.get("data"):
        errs.append(fe.invalid("data", fe.GoValue("runtime.RawExtension{...}"), fe.IMMUTABLE))
    return errs

