"""Pure pieces of the API server: URL parsing, content negotiation, the
repeated-key shortcut, continue tokens, and the watch cache's event logic."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kybernetes.api import errors
from kybernetes.apiserver.negotiation import negotiate
from kybernetes.apiserver.requestinfo import request_info
from kybernetes.apiserver.resources import _continue_token, _may_repeat_keys, _parse_continue
from kybernetes.apiserver.watchcache import WatchCache
from kybernetes.storage.interface import Event, KeyValue


@pytest.mark.parametrize(
    "method,path,query,expect",
    [
        ("GET", "/api/v1/namespaces/ns/pods", {}, ("list", "", "ns", "pods", "", "")),
        ("GET", "/api/v1/namespaces/ns/pods/p", {}, ("get", "", "ns", "pods", "p", "")),
        ("GET", "/api/v1/namespaces/ns/pods", {"watch": "true"}, ("watch", "", "ns", "pods", "", "")),
        ("POST", "/api/v1/namespaces/ns/pods/p/binding", {}, ("create", "", "ns", "pods", "p", "binding")),
        ("GET", "/api/v1/namespaces/ns", {}, ("get", "", "ns", "namespaces", "ns", "")),
        ("PUT", "/api/v1/namespaces/ns/finalize", {}, ("update", "", "ns", "namespaces", "ns", "finalize")),
        ("PATCH", "/apis/apps/v1/namespaces/d/deployments/web/scale", {}, ("patch", "apps", "d", "deployments", "web", "scale")),
        ("DELETE", "/apis/apps/v1/namespaces/d/deployments", {}, ("deletecollection", "apps", "d", "deployments", "", "")),
        ("GET", "/api/v1/nodes", {}, ("list", "", "", "nodes", "", "")),
    ],
)
def test_request_info(method, path, query, expect):
    info = request_info(method, path, query)
    assert info.is_resource
    assert (info.verb, info.group, info.namespace, info.resource, info.name, info.subresource) == expect


def test_request_info_non_resource():
    assert not request_info("GET", "/apis/apps/v1").is_resource
    assert not request_info("GET", "/version").is_resource


def test_negotiation_picks_first_acceptable():
    kubectl_get = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
                   "application/json")
    assert negotiate(kubectl_get).format == "table"
    assert negotiate(kubectl_get, table_ok=False).format == "json"
    assert negotiate("application/vnd.kubernetes.protobuf,application/json").format == "protobuf"
    assert negotiate("application/yaml").format == "yaml"
    assert negotiate(None).format == "json"
    assert negotiate("*/*").format == "json"
    with pytest.raises(errors.APIError) as e:
        negotiate("application/xml")
    assert e.value.code == 406
    with pytest.raises(errors.APIError) as e:
        negotiate("application/json;as=Table;v=v2;g=meta.k8s.io")
    assert e.value.code == 406


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=6), json_values, min_size=1, max_size=5))
def test_repeated_keys_are_always_detected(obj):
    key = next(iter(obj))
    text = json.dumps(obj)
    # repeat the first key at the end of the top-level object
    doubled = text[:-1] + ", " + json.dumps(key) + " : 1}"
    raw = doubled.encode()
    assert _may_repeat_keys(raw, orjson.loads(raw))


plain_text = st.text(alphabet="abcxyz -_.", max_size=6)
plain_values = st.recursive(
    st.none() | st.booleans() | st.integers() | plain_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(plain_text, children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(plain_text, plain_values, max_size=5))
def test_plain_bodies_take_the_fast_path(obj):
    # no string holds a quote or a colon, so the cheap count is exact
    raw = json.dumps(obj).encode()
    assert not _may_repeat_keys(raw, orjson.loads(raw))


def test_continue_token_round_trip():
    token = _continue_token(637, "app-config\x00")
    assert token == "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NjM3LCJzdGFydCI6ImFwcC1jb25maWdcdTAwMDAifQ"  # upstream's bytes
    assert _parse_continue(token) == (637, "app-config\x00")
    with pytest.raises(errors.APIError):
        _parse_continue("not-a-token")


def _kv(key: str, obj: dict, rev: int, create: int | None = None) -> KeyValue:
    return KeyValue(key, orjson.dumps(obj), create or rev, rev)


def test_watch_cache_replays_and_translates_selector_transitions():
    cache = WatchCache()
    cache.load([], 10)
    key = "/registry/core/configmaps/ns/a"
    blue = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "a", "namespace": "ns", "labels": {"c": "blue"}}}
    red = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "a", "namespace": "ns", "labels": {"c": "red"}}}
    cache.apply([Event("PUT", _kv(key, blue, 11), None)])
    cache.apply([Event("PUT", _kv(key, red, 12, 11), _kv(key, blue, 11))])
    cache.apply([Event("DELETE", _kv(key, red, 13, 11), _kv(key, red, 12, 11))])
    is_blue = lambda e: e.labels.get("c") == "blue"  # noqa: E731
    w, replay = cache.watch("core/configmaps", namespace="ns", predicate=is_blue, since=10)
    assert [(ev.type, ev.rv) for ev in replay] == [("ADDED", 11), ("DELETED", 12)]
    assert replay[1].entry.obj["metadata"]["labels"] == {"c": "red"}  # the new state, as upstream sends it
    w.close()
    w, replay = cache.watch("core/configmaps", namespace="ns", predicate=lambda e: True, since=12)
    assert [(ev.type, ev.entry.obj["metadata"]["resourceVersion"]) for ev in replay] == [("DELETED", "13")]
    with pytest.raises(ValueError):
        cache.watch("core/configmaps", namespace="", predicate=lambda e: True, since=5)


def test_a_failing_watcher_is_closed_and_the_cache_stays_consistent():
    cache = WatchCache()
    cache.load([], 1)

    def explode(entry):
        raise RuntimeError("selector bug")

    bad, _ = cache.watch("core/configmaps", namespace="", predicate=explode, since=None)
    good, _ = cache.watch("core/configmaps", namespace="", predicate=lambda e: True, since=None)
    obj = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "a", "namespace": "ns"}}
    cache.apply([Event("PUT", _kv("/registry/core/configmaps/ns/a", obj, 2), None),
                 Event("PUT", _kv("/registry/core/configmaps/ns/b", obj, 3), None)])
    assert bad.closed and not good.closed
    assert good.queue.qsize() == 2
    assert [e.name for e in cache.cache("core/configmaps").entries()] == ["a", "b"]
