"""KubeSchedulerConfiguration (``kubescheduler.config.k8s.io/v1``): loading, upstream
defaults and validation.

A profile's plugins come from merging the user's ``plugins`` with the 1.33 defaults the
way upstream does: per extension point (``multiPoint`` included) the default enabled
list minus what is disabled (``*`` disables all defaults), a user entry for a default
plugin replaces it in place (to change its weight), and other user entries follow.
Then ``multiPoint`` is expanded into every extension point a plugin implements --
unless that point disables it (or ``*``) or configures it explicitly, in which case the
explicit entry wins. The result is :class:`Profile`, what the Framework is built from.

Errors are ``ValueError`` naming the field path, e.g.
``profiles[0].plugins.score.enabled[1].weight: Invalid value: 0: must be in range [1, 100]``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .plugins.registry import in_tree_registry

API_VERSION = "kubescheduler.config.k8s.io/v1"
KIND = "KubeSchedulerConfiguration"
DEFAULT_SCHEDULER_NAME = "default-scheduler"

# Extension points, in the order of a scheduling cycle, and the method that marks a
# plugin as implementing each (what multiPoint expansion looks for).
EXTENSION_POINTS: dict[str, str] = {
    "preEnqueue": "pre_enqueue",
    "queueSort": "less",
    "preFilter": "pre_filter",
    "filter": "filter",
    "postFilter": "post_filter",
    "preScore": "pre_score",
    "score": "score",
    "reserve": "reserve",
    "permit": "permit",
    "preBind": "pre_bind",
    "bind": "bind",
    "postBind": "post_bind",
}

# upstream's getDefaultPlugins for 1.33 (v1 default_plugins.go): all through multiPoint
DEFAULT_MULTI_POINT: tuple[tuple[str, int], ...] = (
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("VolumeRestrictions", 0),
    ("NodeVolumeLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
)

DEFAULT_RESOURCES = [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]


def default_plugin_args(name: str) -> dict[str, Any]:
    """The args a plugin gets when the profile's pluginConfig says nothing."""
    if name == "DefaultPreemption":
        return {"minCandidateNodesPercentage": 10, "minCandidateNodesAbsolute": 100}
    if name == "InterPodAffinity":
        return {"hardPodAffinityWeight": 1, "ignorePreferredTermsOfExistingPods": False}
    if name == "NodeResourcesFit":
        return {"scoringStrategy": {"type": "LeastAllocated", "resources": copy.deepcopy(DEFAULT_RESOURCES)}}
    if name == "NodeResourcesBalancedAllocation":
        return {"resources": copy.deepcopy(DEFAULT_RESOURCES)}
    if name == "PodTopologySpread":
        return {"defaultingType": "System"}
    if name == "VolumeBinding":
        return {"bindTimeoutSeconds": 600}
    if name == "NodeAffinity":
        return {}
    return {}


def _default_args_merge(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """User args over the defaults, field by field, with upstream's nested defaults."""
    args = default_plugin_args(name)
    args.update(copy.deepcopy(dict(given)))
    if name == "NodeResourcesFit":
        strategy = dict(args.get("scoringStrategy") or {})
        strategy.setdefault("type", "LeastAllocated")
        if not strategy.get("resources"):
            strategy["resources"] = copy.deepcopy(DEFAULT_RESOURCES)
        args["scoringStrategy"] = strategy
    elif name == "NodeResourcesBalancedAllocation":
        if not args.get("resources"):
            args["resources"] = copy.deepcopy(DEFAULT_RESOURCES)
    elif name == "PodTopologySpread":
        if "defaultingType" not in given:
            args["defaultingType"] = "List" if given.get("defaultConstraints") else "System"
    return args


# ---------------------------------------------------------------------------- result types
@dataclass
class Profile:
    """One scheduler profile, resolved: the plugin names per extension point in call
    order, the score weights and every enabled plugin's args."""

    scheduler_name: str = DEFAULT_SCHEDULER_NAME
    plugins: dict[str, list[str]] = field(default_factory=dict)     # extension point -> names
    score_weights: dict[str, int] = field(default_factory=dict)
    plugin_args: dict[str, dict[str, Any]] = field(default_factory=dict)
    percentage_of_nodes_to_score: int | None = None

    def enabled(self, point: str) -> list[str]:
        return self.plugins.get(point, [])

    def all_plugin_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for point in EXTENSION_POINTS:
            for name in self.plugins.get(point, []):
                seen.setdefault(name, None)
        for name in self.plugins.get("multiPoint", []):
            seen.setdefault(name, None)
        return list(seen)


@dataclass
class KubeSchedulerConfiguration:
    profiles: list[Profile]
    percentage_of_nodes_to_score: int = 0
    pod_initial_backoff_seconds: int = 1
    pod_max_backoff_seconds: int = 10
    parallelism: int = 16
    leader_election: dict[str, Any] = field(default_factory=dict)
    client_connection: dict[str, Any] = field(default_factory=dict)

    def profile(self, scheduler_name: str) -> Profile | None:
        return next((p for p in self.profiles if p.scheduler_name == scheduler_name), None)

    @classmethod
    def default(cls) -> KubeSchedulerConfiguration:
        return load_config({"apiVersion": API_VERSION, "kind": KIND})

    @classmethod
    def from_file(cls, path: str | Path) -> KubeSchedulerConfiguration:
        return load_config_file(path)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> KubeSchedulerConfiguration:
        return load_config(raw)


# ---------------------------------------------------------------------------- loading
def load_config_file(path: str | Path) -> KubeSchedulerConfiguration:
    text = Path(path).read_text()
    try:
        raw = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise ValueError(f"{path}: not valid YAML or JSON: {e}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a KubeSchedulerConfiguration object")
    return load_config(raw)


def _invalid(path: str, value: Any, why: str) -> ValueError:
    return ValueError(f"{path}: Invalid value: {json.dumps(value)}: {why}")


def _int_field(raw: Mapping[str, Any], key: str, default: int, path: str) -> int:
    v = raw.get(key, default)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, int):
        raise _invalid(f"{path}{key}", v, "must be an integer")
    return v


def load_config(raw: Mapping[str, Any], registry: Mapping[str, Any] | None = None) -> KubeSchedulerConfiguration:
    """Defaults and validates a KubeSchedulerConfiguration object (a parsed file)."""
    api_version = raw.get("apiVersion") or API_VERSION
    if api_version != API_VERSION:
        raise ValueError(f"apiVersion: Unsupported value: {json.dumps(api_version)}: supported values: \"{API_VERSION}\"")
    kind = raw.get("kind") or KIND
    if kind != KIND:
        raise ValueError(f"kind: Unsupported value: {json.dumps(kind)}: supported values: \"{KIND}\"")
    registry = registry if registry is not None else in_tree_registry()
    pct = _int_field(raw, "percentageOfNodesToScore", 0, "")
    if not 0 <= pct <= 100:
        raise _invalid("percentageOfNodesToScore", pct, "not in valid range [0-100]")
    initial = _int_field(raw, "podInitialBackoffSeconds", 1, "")
    if initial <= 0:
        raise _invalid("podInitialBackoffSeconds", initial, "must be greater than 0")
    maximum = _int_field(raw, "podMaxBackoffSeconds", 10, "")
    if maximum < initial:
        raise _invalid("podMaxBackoffSeconds", maximum, "must be greater than or equal to PodInitialBackoffSeconds")
    parallelism = _int_field(raw, "parallelism", 16, "")
    if parallelism <= 0:
        raise _invalid("parallelism", parallelism, "should be an integer greater than 0")
    raw_profiles = raw.get("profiles") or [{}]
    if not isinstance(raw_profiles, list):
        raise _invalid("profiles", raw_profiles, "must be a list")
    profiles = [_load_profile(p or {}, f"profiles[{i}]", registry) for i, p in enumerate(raw_profiles)]
    names: set[str] = set()
    for i, p in enumerate(profiles):
        if p.scheduler_name in names:
            raise ValueError(f"profiles[{i}].schedulerName: Duplicate value: {json.dumps(p.scheduler_name)}")
        names.add(p.scheduler_name)
        if i and p.enabled("queueSort") != profiles[0].enabled("queueSort"):
            raise _invalid(f"profiles[{i}].plugins.queueSort", p.enabled("queueSort"),
                           "queueSort must be the same for all profiles")
    return KubeSchedulerConfiguration(
        profiles=profiles, percentage_of_nodes_to_score=pct, pod_initial_backoff_seconds=initial,
        pod_max_backoff_seconds=maximum, parallelism=parallelism,
        leader_election=dict(raw.get("leaderElection") or {}), client_connection=dict(raw.get("clientConnection") or {}))


def _plugin_list(raw: Any, path: str, registry: Mapping[str, Any], allow_star: bool) -> list[tuple[str, int]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _invalid(path, raw, "must be a list")
    out = []
    for j, entry in enumerate(raw):
        name = (entry or {}).get("name") if isinstance(entry, dict) else None
        if not name:
            raise ValueError(f"{path}[{j}].name: Required value")
        if name not in registry and not (allow_star and name == "*"):
            raise ValueError(f"{path}[{j}].name: Invalid value: {json.dumps(name)}: plugin {json.dumps(name)} does not exist")
        weight = entry.get("weight") or 0
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
            raise _invalid(f"{path}[{j}].weight", weight, "must be in range [1, 100]")
        out.append((name, weight))
    return out


def _merge(defaults: list[tuple[str, int]], enabled: list[tuple[str, int]],
           disabled: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Upstream's mergePluginSet (see the module docstring)."""
    off = {n for n, _ in disabled}
    custom = {n: (i, w) for i, (n, w) in enumerate(enabled)}
    replaced: set[int] = set()
    out: list[tuple[str, int]] = []
    if "*" not in off:
        for name, weight in defaults:
            if name in off:
                continue
            if name in custom:
                i, w = custom[name]
                replaced.add(i)
                weight = w
            out.append((name, weight))
    out.extend(entry for i, entry in enumerate(enabled) if i not in replaced)
    return out


def _implements(registry: Mapping[str, Any], name: str, method: str, cache: dict[str, Any]) -> bool:
    plugin = cache.get(name)
    if plugin is None:
        try:
            plugin = registry[name](default_plugin_args(name), None)
        except Exception:  # noqa: BLE001 - a plugin that needs a handle to build: ask its class
            plugin = None
        cache[name] = plugin
    return plugin is not None and callable(getattr(plugin, method, None))


def _load_profile(raw: Mapping[str, Any], path: str, registry: Mapping[str, Any]) -> Profile:
    name = raw.get("schedulerName", DEFAULT_SCHEDULER_NAME)
    if not name or not isinstance(name, str):
        raise ValueError(f"{path}.schedulerName: Required value")
    plugins_raw = raw.get("plugins") or {}
    if not isinstance(plugins_raw, dict):
        raise _invalid(f"{path}.plugins", plugins_raw, "must be an object")
    for key in plugins_raw:
        if key != "multiPoint" and key not in EXTENSION_POINTS:
            raise ValueError(f"{path}.plugins.{key}: Unsupported value: unknown extension point")

    def sets(point: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        ps = plugins_raw.get(point) or {}
        base = f"{path}.plugins.{point}"
        return (_plugin_list(ps.get("enabled"), base + ".enabled", registry, False),
                _plugin_list(ps.get("disabled"), base + ".disabled", registry, True))

    mp_enabled, mp_disabled = sets("multiPoint")
    multi_point = _merge(list(DEFAULT_MULTI_POINT), mp_enabled, mp_disabled)
    cache: dict[str, Any] = {}
    plugins: dict[str, list[str]] = {"multiPoint": [n for n, _ in multi_point]}
    weights: dict[str, int] = {}
    for point, method in EXTENSION_POINTS.items():
        enabled, disabled = sets(point)
        explicit = _merge([], enabled, disabled)     # no per-point defaults in v1: all come via multiPoint
        off = {n for n, _ in disabled}
        explicit_names = [n for n, _ in explicit]
        seen = set(explicit_names)
        from_multi: list[tuple[str, int]] = []
        if "*" not in off:
            for n, w in multi_point:
                if n in off or n in seen or not _implements(registry, n, method, cache):
                    continue
                from_multi.append((n, w))
        # explicit entries that were also in multiPoint first, then multiPoint, then the rest
        in_multi = {n for n, _ in multi_point}
        ordered = ([e for e in explicit if e[0] in in_multi] + from_multi
                   + [e for e in explicit if e[0] not in in_multi])
        names = [n for n, _ in ordered]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise ValueError(f"{path}.plugins.{point}.enabled: Duplicate value: {json.dumps(dup)}")
        plugins[point] = names
        if point == "score":
            for n, w in ordered:
                weights[n] = w or 1
    if len(plugins["queueSort"]) != 1:
        raise _invalid(f"{path}.plugins.queueSort", plugins["queueSort"], "exactly one queue sort plugin is required")
    if not plugins["bind"]:
        raise ValueError(f"{path}.plugins.bind: Required value: at least one bind plugin is needed")
    args = _load_plugin_config(raw.get("pluginConfig"), f"{path}.pluginConfig", registry)
    plugin_args = {}
    for pname in {n for pt, ns in plugins.items() if pt != "multiPoint" for n in ns}:
        plugin_args[pname] = _default_args_merge(pname, args.get(pname, {}))
        _validate_args(pname, plugin_args[pname], f"{path}.pluginConfig[{pname}].args")
    for pname, given in args.items():       # configured but not enabled: still validated
        if pname not in plugin_args:
            _validate_args(pname, _default_args_merge(pname, given), f"{path}.pluginConfig[{pname}].args")
    pct = raw.get("percentageOfNodesToScore")
    if pct is not None and (isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= 100):
        raise _invalid(f"{path}.percentageOfNodesToScore", pct, "not in valid range [0-100]")
    return Profile(scheduler_name=name, plugins=plugins, score_weights=weights, plugin_args=plugin_args,
                   percentage_of_nodes_to_score=pct)


def _load_plugin_config(raw: Any, path: str, registry: Mapping[str, Any]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    if raw is None:
        return out
    if not isinstance(raw, list):
        raise _invalid(path, raw, "must be a list")
    for i, entry in enumerate(raw):
        name = (entry or {}).get("name")
        if not name:
            raise ValueError(f"{path}[{i}].name: Required value")
        if name not in registry:
            raise ValueError(f"{path}[{i}].name: Invalid value: {json.dumps(name)}: plugin {json.dumps(name)} does not exist")
        if name in out:
            raise ValueError(f"{path}[{i}].name: Duplicate value: {json.dumps(name)}")
        args = entry.get("args") or {}
        if not isinstance(args, dict):
            raise _invalid(f"{path}[{i}].args", args, "must be an object")
        out[name] = args
    return out


# ---------------------------------------------------------------------------- args validation
def _validate_resources(resources: Any, path: str) -> None:
    if not isinstance(resources, list):
        raise _invalid(path, resources, "must be a list")
    seen = set()
    for i, r in enumerate(resources):
        if not isinstance(r, dict) or not r.get("name"):
            raise ValueError(f"{path}[{i}].name: Required value")
        if r["name"] in seen:
            raise ValueError(f"{path}[{i}].name: Duplicate value: {json.dumps(r['name'])}")
        seen.add(r["name"])
        w = r.get("weight", 1)
        if isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= 100:
            raise _invalid(f"{path}[{i}].weight", w, "resource weight of cpu should be in range [1, 100]"
                           if r["name"] == "cpu" else f"resource weight of {r['name']} should be in range [1, 100]")


def _validate_args(name: str, args: dict[str, Any], path: str) -> None:
    if name == "DefaultPreemption":
        pct, absolute = args.get("minCandidateNodesPercentage"), args.get("minCandidateNodesAbsolute")
        if not isinstance(pct, int) or not 0 <= pct <= 100:
            raise _invalid(f"{path}.minCandidateNodesPercentage", pct, "not in valid range [0, 100]")
        if not isinstance(absolute, int) or absolute < 0:
            raise _invalid(f"{path}.minCandidateNodesAbsolute", absolute, "not in valid range [0, inf)")
        if pct == 0 and absolute == 0:
            raise _invalid(f"{path}.minCandidateNodesPercentage, {path}.minCandidateNodesAbsolute", [pct, absolute],
                           "both minCandidateNodesPercentage and minCandidateNodesAbsolute cannot be zero")
    elif name == "InterPodAffinity":
        w = args.get("hardPodAffinityWeight")
        if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= 100:
            raise _invalid(f"{path}.hardPodAffinityWeight", w, "not in valid range [0, 100]")
    elif name == "NodeResourcesFit":
        strategy = args.get("scoringStrategy") or {}
        kind = strategy.get("type")
        if kind not in ("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"):
            raise ValueError(f"{path}.scoringStrategy.type: Unsupported value: {json.dumps(kind)}: supported values: "
                             "\"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\"")
        _validate_resources(strategy.get("resources"), f"{path}.scoringStrategy.resources")
        if kind == "RequestedToCapacityRatio":
            shape = (strategy.get("requestedToCapacityRatio") or {}).get("shape")
            spath = f"{path}.scoringStrategy.requestedToCapacityRatio.shape"
            if not shape:
                raise ValueError(f"{spath}: Required value: at least one point must be specified")
            last = -1
            for i, point in enumerate(shape):
                u, s = point.get("utilization"), point.get("score")
                if not isinstance(u, int) or not 0 <= u <= 100:
                    raise _invalid(f"{spath}[{i}].utilization", u, "not in valid range [0, 100]")
                if u <= last:
                    raise _invalid(f"{spath}[{i}].utilization", u, "utilization values must be sorted in increasing order")
                last = u
                if not isinstance(s, int) or not 0 <= s <= 10:
                    raise _invalid(f"{spath}[{i}].score", s, "not in valid range [0, 10]")
        for key in ("ignoredResources", "ignoredResourceGroups"):
            for i, v in enumerate(args.get(key) or []):
                if key == "ignoredResourceGroups" and "/" in v:
                    raise _invalid(f"{path}.{key}[{i}]", v, "resource group name can't contain '/'")
    elif name == "NodeResourcesBalancedAllocation":
        _validate_resources(args.get("resources"), f"{path}.resources")
    elif name == "PodTopologySpread":
        kind = args.get("defaultingType")
        if kind not in ("System", "List"):
            raise ValueError(f"{path}.defaultingType: Unsupported value: {json.dumps(kind)}: supported values: \"List\", \"System\"")
        constraints = args.get("defaultConstraints") or []
        if kind == "System" and constraints:
            raise _invalid(f"{path}.defaultingType", kind, "when .defaultConstraints are not empty")
        seen = set()
        for i, c in enumerate(constraints):
            cpath = f"{path}.defaultConstraints[{i}]"
            skew = c.get("maxSkew")
            if not isinstance(skew, int) or skew <= 0:
                raise _invalid(f"{cpath}.maxSkew", skew, "must be greater than zero")
            if not c.get("topologyKey"):
                raise ValueError(f"{cpath}.topologyKey: Required value: can not be empty")
            action = c.get("whenUnsatisfiable")
            if action not in ("DoNotSchedule", "ScheduleAnyway"):
                raise ValueError(f"{cpath}.whenUnsatisfiable: Unsupported value: {json.dumps(action)}: "
                                 "supported values: \"DoNotSchedule\", \"ScheduleAnyway\"")
            if (c["topologyKey"], action) in seen:
                raise ValueError(f"{cpath}: Duplicate value: {json.dumps({'topologyKey': c['topologyKey'], 'whenUnsatisfiable': action})}")
            seen.add((c["topologyKey"], action))
            if c.get("labelSelector") is not None:
                raise ValueError(f"{cpath}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod")
    elif name == "NodeAffinity":
        added = args.get("addedAffinity")
        if added is not None and not isinstance(added, dict):
            raise _invalid(f"{path}.addedAffinity", added, "must be a NodeAffinity object")


def adaptive_num_feasible_nodes(num_all_nodes: int, percentage: int) -> int:
    """How many feasible nodes to find before scoring (upstream's numFeasibleNodesToFind):
    all of them below 100 nodes or at 100%; otherwise ``percentage`` of them, where 0
    means adaptive (50% minus 1% per 125 nodes, at least 5%), and never fewer than 100."""
    min_feasible, min_percentage = 100, 5
    if num_all_nodes < min_feasible or percentage >= 100:
        return num_all_nodes
    adaptive = percentage
    if adaptive <= 0:
        adaptive = 50 - num_all_nodes // 125
        if adaptive < min_percentage:
            adaptive = min_percentage
    n = num_all_nodes * adaptive // 100
    return max(n, min_feasible)
