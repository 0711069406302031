"""Validation of batch/v1 Jobs and CronJobs (pkg/apis/batch/validation).

Jobs also get their selector generated here, as upstream's job strategy does in
its Validate step: the pod template is labelled with the job's name and uid and
the selector picks the uid label (unless ``spec.manualSelector`` is true). That
needs ``metadata.uid``, so it happens on create, after the server assigned one.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import Cause
from . import fielderr as fe
from . import names
from .common import selector_matches, selector_parses, validate_label_selector
from .core import dns_subdomain, validate_pod_template_spec, _strip_nulls
from .meta import d, lst, s, sub, validate_object_meta, validate_object_meta_update
from .common import nonnegative

CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
JOB_NAME = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID = "controller-uid"
LEGACY_JOB_NAME = "job-name"


def generate_selector(job: dict) -> None:
    """Label the template and select on the uid label (upstream's generateSelector)."""
    spec = job.get("spec")
    if type(spec) is not dict or spec.get("manualSelector") is True:
        return
    meta = d(job.get("metadata"))
    name, uid = s(meta.get("name")), s(meta.get("uid"))
    labels = sub(sub(sub(spec, "template"), "metadata"), "labels")
    for key in (LEGACY_JOB_NAME, JOB_NAME):
        labels.setdefault(key, name)
    for key in (LEGACY_CONTROLLER_UID, CONTROLLER_UID):
        labels.setdefault(key, uid)
    sub(sub(spec, "selector"), "matchLabels").setdefault(CONTROLLER_UID, uid)
    # what a read-back shows: Job defaulting copies template labels to unlabelled jobs
    if not meta.get("labels") and isinstance(job.get("metadata"), dict):
        job["metadata"]["labels"] = dict(labels)


def _has_label(tmeta: dict, key: str, expected: str, errs: list[Cause]) -> None:
    labels = d(tmeta.get("labels"))
    path = "spec.template.metadata.labels[" + key + "]"
    if key not in labels:
        errs.append(fe.required(path, f"must be '{expected}'"))
    elif labels[key] != expected:
        errs.append(fe.invalid(path, fe.GoValue(fe.go_string_map(labels)), f"must be '{expected}'"))


def _generated_selector(job: dict, errs: list[Cause]) -> None:
    spec = d(job.get("spec"))
    if spec.get("manualSelector") is True or spec.get("selector") is None:
        return
    meta = d(job.get("metadata"))
    uid, name = s(meta.get("uid")), s(meta.get("name"))
    if not uid:
        errs.append(fe.required("metadata.uid"))
    tmeta = d(d(spec.get("template")).get("metadata"))
    _has_label(tmeta, LEGACY_CONTROLLER_UID, uid, errs)
    _has_label(tmeta, LEGACY_JOB_NAME, name, errs)
    _has_label(tmeta, CONTROLLER_UID, uid, errs)
    _has_label(tmeta, JOB_NAME, name, errs)
    expected = {CONTROLLER_UID: uid, JOB_NAME: name, LEGACY_CONTROLLER_UID: uid, LEGACY_JOB_NAME: name}
    sel = spec.get("selector")
    if selector_parses(sel) and not selector_matches(sel, expected):
        errs.append(fe.invalid("spec.selector", fe.go_label_selector(d(sel)), "`selector` not auto-generated"))


POD_FAILURE_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")


def _job_spec(spec: dict, path: str, errs: list[Cause]) -> None:
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex"):
        v = spec.get(key)
        if v is not None:
            nonnegative(v, f"{path}.{key}", errs)
    mfi = spec.get("maxFailedIndexes")
    if mfi is not None:
        nonnegative(mfi, path + ".maxFailedIndexes", errs)
        if spec.get("backoffLimitPerIndex") is None:
            errs.append(fe.required(path + ".backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    mb = spec.get("managedBy")
    if mb is not None:
        mb = s(mb)
        if not mb:
            errs.append(fe.required(path + ".managedBy"))
        else:
            parts = mb.split("/", 1)
            if len(parts) != 2 or not parts[0] or not parts[1]:
                errs.append(fe.invalid(path + ".managedBy", mb, 'must be a domain-prefixed path (such as "acme.io/foo")'))
            else:
                for msg in names.is_dns1123_subdomain(parts[0]):
                    errs.append(fe.invalid(path + ".managedBy", parts[0], msg))
                if not re.fullmatch(r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+", parts[1]):
                    errs.append(fe.invalid(path + ".managedBy", parts[1], names.regex_error("Invalid path", r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+")))
        if len(mb) > 63:
            errs.append(fe.too_long(path + ".managedBy", 63))
    cm = spec.get("completionMode")
    completions = spec.get("completions")
    parallelism = spec.get("parallelism")
    if cm is not None:
        if cm not in ("NonIndexed", "Indexed"):
            errs.append(fe.not_supported(path + ".completionMode", cm, ["NonIndexed", "Indexed"]))
        if cm == "Indexed":
            if completions is None:
                errs.append(fe.required(path + ".completions", "when completion mode is Indexed"))
            if isinstance(parallelism, int) and parallelism > 100000:
                errs.append(fe.invalid(path + ".parallelism", parallelism, "must be less than or equal to 100000 when completion mode is Indexed"))
            if isinstance(completions, int) and isinstance(mfi, int) and mfi > completions:
                errs.append(fe.invalid(path + ".maxFailedIndexes", mfi, "must be less than or equal to completions"))
            if isinstance(mfi, int) and mfi > 100000:
                errs.append(fe.invalid(path + ".maxFailedIndexes", mfi, "must be less than or equal to 100000"))
    if cm in (None, "NonIndexed"):
        if spec.get("backoffLimitPerIndex") is not None:
            errs.append(fe.invalid(path + ".backoffLimitPerIndex", spec.get("backoffLimitPerIndex"), "requires indexed completion mode"))
        if mfi is not None:
            errs.append(fe.invalid(path + ".maxFailedIndexes", mfi, "requires indexed completion mode"))
    pfp = spec.get("podFailurePolicy")
    if pfp is not None:
        _pod_failure_policy(spec, d(pfp), path + ".podFailurePolicy", errs)
    sp = spec.get("successPolicy")
    if sp is not None:
        if cm != "Indexed":
            errs.append(fe.invalid(path + ".successPolicy", fe.go_struct("batch.SuccessPolicy", d(sp)), "requires indexed completion mode"))
        else:
            rules = lst(d(sp).get("rules"))
            if not rules:
                errs.append(fe.required(path + ".successPolicy.rules", "at least one rules must be specified when the successPolicy is specified"))
            if len(rules) > 20:
                errs.append(fe.too_many(path + ".successPolicy.rules", len(rules), 20))
    prp = spec.get("podReplacementPolicy")
    if prp is not None:
        if prp not in ("Failed", "TerminatingOrFailed"):
            errs.append(fe.not_supported(path + ".podReplacementPolicy", prp, ["Failed", "TerminatingOrFailed"]))
        elif pfp is not None and prp != "Failed":
            errs.append(fe.not_supported(path + ".podReplacementPolicy", prp, ["Failed"]))
    tpl = d(spec.get("template"))
    validate_pod_template_spec(tpl, path + ".template", errs)
    rp = s(d(tpl.get("spec")).get("restartPolicy"))
    rpp = path + ".template.spec.restartPolicy"
    if rp in ("Always", ""):
        errs.append(fe.required(rpp, 'valid values: "OnFailure", "Never"'))
    elif rp not in ("OnFailure", "Never"):
        errs.append(fe.not_supported(rpp, rp, ["OnFailure", "Never"]))
    elif pfp is not None and rp != "Never":
        errs.append(fe.invalid(rpp, rp, 'only "Never" is supported when podFailurePolicy is specified'))


def _pod_failure_policy(spec: dict, pfp: dict, path: str, errs: list[Cause]) -> None:
    rules = lst(pfp.get("rules"))
    rp = path + ".rules"
    if len(rules) > 20:
        errs.append(fe.too_many(rp, len(rules), 20))
    containers = {s(d(c).get("name")) for c in lst(d(d(spec.get("template")).get("spec")).get("containers"))}
    containers |= {s(d(c).get("name")) for c in lst(d(d(spec.get("template")).get("spec")).get("initContainers"))}
    for idx, rule in enumerate(rules):
        rule = d(rule)
        p = f"{rp}[{idx}]"
        action = s(rule.get("action"))
        if action not in POD_FAILURE_ACTIONS:
            errs.append(fe.not_supported(p + ".action", action, POD_FAILURE_ACTIONS))
        ec = rule.get("onExitCodes")
        pc = rule.get("onPodConditions")
        if ec is not None and pc is not None:
            errs.append(fe.invalid(p, fe.GoValue("batch.PodFailurePolicyRule{...}"), "specifying both OnExitCodes and OnPodConditions is not supported"))
        elif ec is None and pc is None:
            errs.append(fe.invalid(p, fe.GoValue("batch.PodFailurePolicyRule{...}"), "specifying one of OnExitCodes and OnPodConditions is required"))
        if ec is not None:
            ec = d(ec)
            ep = p + ".onExitCodes"
            cn = ec.get("containerName")
            if cn is not None and s(cn) not in containers:
                errs.append(fe.invalid(ep + ".containerName", s(cn), "must be one of the container or initContainer names in the pod template"))
            op = s(ec.get("operator"))
            if op not in ("In", "NotIn"):
                errs.append(fe.not_supported(ep + ".operator", op, ["In", "NotIn"]))
            vals = lst(ec.get("values"))
            if not vals:
                errs.append(fe.required(ep + ".values", "at least one value is required"))
            prev = None
            for j, v in enumerate(vals):
                if op == "In" and v == 0:
                    errs.append(fe.invalid(f"{ep}.values[{j}]", v, "must not be 0 for the In operator"))
                if prev is not None and isinstance(v, int) and isinstance(prev, int):
                    if v == prev:
                        errs.append(fe.duplicate(f"{ep}.values[{j}]", v))
                    elif v < prev:
                        errs.append(fe.invalid(f"{ep}.values[{j}]", v, "must be ordered"))
                prev = v
        if pc is not None:
            for j, pat in enumerate(lst(pc)):
                pat = d(pat)
                pp = f"{p}.onPodConditions[{j}]"
                st = s(pat.get("status"))
                if st not in ("False", "True", "Unknown"):
                    errs.append(fe.not_supported(pp + ".status", st, ["False", "True", "Unknown"]))
                for msg in names.is_qualified_name(s(pat.get("type"))):
                    errs.append(fe.invalid(pp + ".type", s(pat.get("type")), msg))


def _job_selector_and_template(spec: dict, errs: list[Cause]) -> None:
    sel = spec.get("selector")
    if sel is None:
        errs.append(fe.required("spec.selector"))
    else:
        validate_label_selector(sel, "spec.selector", errs)
    if selector_parses(sel):
        labels = d(d(spec.get("template")).get("metadata")).get("labels")
        if not selector_matches(sel, labels):
            errs.append(fe.invalid("spec.template.metadata.labels", fe.GoValue(fe.go_string_map(d(labels) if labels is not None else None)), "`selector` does not match template `labels`"))


def validate_job(obj: dict) -> list[Cause]:
    generate_selector(obj)
    errs: list[Cause] = []
    meta = d(obj.get("metadata"))
    validate_object_meta(meta, True, dns_subdomain, errs)
    _generated_selector(obj, errs)
    spec = d(obj.get("spec"))
    _job_spec(spec, "spec", errs)
    _job_selector_and_template(spec, errs)
    comps = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and isinstance(comps, int) and comps > 0:
        host = f"{s(meta.get('name'))}-{comps - 1}"
        if names.is_dns1123_label(host):
            errs.append(fe.invalid("metadata.name", s(meta.get("name")), f"will not able to create pod with invalid DNS label: {host}"))
    return errs


def validate_job_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    nspec, ospec = d(new.get("spec")), d(old.get("spec"))
    _generated_selector(new, errs)
    _job_spec(nspec, "spec", errs)
    _job_selector_and_template(nspec, errs)
    cm = nspec.get("completionMode")
    if cm != "Indexed":
        if nspec.get("completions") != ospec.get("completions"):
            errs.append(fe.immutable("spec.completions", nspec.get("completions")))
    elif nspec.get("completions") != ospec.get("completions") and nspec.get("completions") is not None:
        if nspec.get("completions") != nspec.get("parallelism"):
            errs.append(fe.invalid("spec.completions", nspec.get("completions"), "can only be modified in tandem with spec.parallelism"))
    if _strip_nulls(nspec.get("selector")) != _strip_nulls(ospec.get("selector")):
        errs.append(fe.immutable("spec.selector", fe.go_label_selector(d(nspec.get("selector")) if nspec.get("selector") is not None else None)))
    ntpl, otpl = _strip_nulls(nspec.get("template")), _strip_nulls(ospec.get("template"))
    if ospec.get("suspend") is True:
        # suspended jobs may change scheduling directives (nodeSelector, tolerations, affinity, labels, annotations, gates)
        def scrub(t: Any) -> Any:
            t = dict(d(t))
            t["metadata"] = {k: v for k, v in d(t.get("metadata")).items() if k not in ("labels", "annotations")}
            ts = dict(d(t.get("spec")))
            for k in ("nodeSelector", "tolerations", "schedulingGates"):
                ts.pop(k, None)
            aff = dict(d(ts.get("affinity")))
            aff.pop("nodeAffinity", None)
            if aff:
                ts["affinity"] = aff
            else:
                ts.pop("affinity", None)
            t["spec"] = ts
            return t

        ntpl, otpl = scrub(ntpl), scrub(otpl)
    if ntpl != otpl:
        errs.append(fe.immutable("spec.template", fe.GoValue("core.PodTemplateSpec{...}")))
    for key in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"):
        if _strip_nulls(nspec.get(key)) != _strip_nulls(ospec.get(key)):
            v = nspec.get(key)
            errs.append(fe.immutable(f"spec.{key}", v if not isinstance(v, dict) else fe.go_struct("batch." + key[:1].upper() + key[1:], v)))
    return errs


# --- CronJob ------------------------------------------------------------------------------------

class CronError(ValueError):
    pass


_MONTHS = {n: i + 1 for i, n in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_DOWS = {n: i for i, n in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_BOUNDS = ((0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTHS), (0, 6, _DOWS))
_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def _atoi(expr: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", expr):
        raise CronError(f'failed to parse int from {expr}: strconv.Atoi: parsing {fe.go_quote(expr)}: invalid syntax')
    num = int(expr)
    if num < 0:
        raise CronError(f"negative number ({num}) not allowed: {expr}")
    return num


def _int_or_name(expr: str, names_: dict | None) -> int:
    if names_ is not None and expr.lower() in names_:
        return names_[expr.lower()]
    return _atoi(expr)


def _cron_range(expr: str, lo: int, hi: int, names_: dict | None) -> None:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    single = len(low_high) == 1
    if low_high[0] in ("*", "?"):
        start, end = lo, hi
    else:
        start = _int_or_name(low_high[0], names_)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _int_or_name(low_high[1], names_)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _atoi(range_and_step[1])
        if single:
            end = hi
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")


_DURATION_RE = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)")


def parse_cron(spec: str) -> None:
    """Validate a schedule like robfig/cron's standard parser; raise CronError with its message."""
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith("TZ=") or spec.startswith("CRON_TZ="):
        sp = spec.find(" ")
        eq = spec.find("=")
        loc = spec[eq + 1: sp] if sp >= 0 else spec[eq + 1:]
        try:
            import zoneinfo

            if loc not in ("", "UTC", "Local"):
                zoneinfo.ZoneInfo(loc)
        except Exception:  # noqa: BLE001
            raise CronError(f"provided bad location {loc}: unknown time zone {loc}") from None
        spec = spec[sp:].strip() if sp >= 0 else ""
    if spec.startswith("@"):
        if spec in _DESCRIPTORS:
            return
        if spec.startswith("@every "):
            dur = spec[len("@every "):]
            if not dur or not re.fullmatch(r"(" + _DURATION_RE.pattern + r")+", dur):
                raise CronError(f'failed to parse duration {spec}: time: invalid duration {fe.go_quote(dur)}')
            return
        raise CronError(f"unrecognized descriptor: {spec}")
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    for fld, (lo, hi, nm) in zip(fields, _BOUNDS):
        for expr in [x for x in fld.split(",") if x]:
            _cron_range(expr, lo, hi, nm)


def _cron_spec(spec: dict, old_spec: dict | None, errs: list[Cause]) -> None:
    sched = s(spec.get("schedule"))
    if not sched:
        errs.append(fe.required("spec.schedule"))
    else:
        allow_tz = old_spec is not None and "TZ" in s(old_spec.get("schedule"))
        try:
            parse_cron(sched)
        except CronError as e:
            errs.append(fe.invalid("spec.schedule", sched, str(e)))
        if allow_tz and "TZ" in sched and spec.get("timeZone") is not None:
            errs.append(fe.invalid("spec.schedule", sched, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
        elif not allow_tz and "TZ" in sched:
            errs.append(fe.invalid("spec.schedule", sched, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    sds = spec.get("startingDeadlineSeconds")
    if sds is not None:
        nonnegative(sds, "spec.startingDeadlineSeconds", errs)
    tz = spec.get("timeZone")
    if tz is not None and (old_spec is None or old_spec.get("timeZone") != tz):
        _time_zone(s(tz), errs)
    cp = s(spec.get("concurrencyPolicy"))
    if cp == "":
        errs.append(fe.required("spec.concurrencyPolicy"))
    elif cp not in ("Allow", "Forbid", "Replace"):
        errs.append(fe.not_supported("spec.concurrencyPolicy", cp, ["Allow", "Forbid", "Replace"]))
    jt = d(spec.get("jobTemplate"))
    jspec = d(jt.get("spec"))
    _job_spec(jspec, "spec.jobTemplate.spec", errs)
    if jspec.get("selector") is not None:
        errs.append(fe.invalid("spec.jobTemplate.spec.selector", fe.go_label_selector(d(jspec.get("selector"))), "`selector` will be auto-generated"))
    if jspec.get("manualSelector") is True:
        errs.append(fe.not_supported("spec.jobTemplate.spec.manualSelector", True, ["nil", "false"]))
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        v = spec.get(key)
        if v is not None:
            nonnegative(v, f"spec.{key}", errs)


_TZ_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


def _time_zone(tz: str, errs: list[Cause]) -> None:
    if not tz:
        errs.append(fe.invalid("spec.timeZone", tz, "timeZone must be nil or non-empty string"))
        return
    for part in tz.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_PART.fullmatch(part):
            errs.append(fe.invalid("spec.timeZone", tz, f"unknown time zone {tz}"))
            return
    if tz.lower() == "local":
        errs.append(fe.invalid("spec.timeZone", tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
    try:
        import zoneinfo

        if tz != "UTC":
            zoneinfo.ZoneInfo(tz)
    except Exception:  # noqa: BLE001
        errs.append(fe.invalid("spec.timeZone", tz, f"unknown time zone {tz}"))


def validate_cron_job(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    meta = d(obj.get("metadata"))
    validate_object_meta(meta, True, dns_subdomain, errs)
    _cron_spec(d(obj.get("spec")), None, errs)
    name = s(meta.get("name"))
    if len(name) > 52:
        errs.append(fe.invalid("metadata.name", name, "must be no more than 52 characters"))
    return errs


def validate_cron_job_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _cron_spec(d(new.get("spec")), d(old.get("spec")), errs)
    return errs

