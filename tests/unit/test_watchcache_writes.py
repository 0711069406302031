"""The watch cache takes the object a write stored instead of parsing its bytes back,
and (as in every test run) checks that the two agree."""

from __future__ import annotations

import orjson
import pytest

from kybernetes.apiserver import watchcache
from kybernetes.apiserver.watchcache import WatchCache
from kybernetes.storage.interface import Event, KeyValue

KEY = "/registry/core/configmaps/default/cfg"


def _put(cache: WatchCache, data: bytes, rev: int) -> dict:
    cache.apply([Event("PUT", KeyValue(KEY, data, rev, rev), None)])
    return cache.cache("core/configmaps").get(KEY).obj


def test_write_event_takes_the_written_object():
    cache = WatchCache()
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
           "data": {"a": "b"}}
    data = orjson.dumps(obj)
    with cache.writing(data, obj):
        stored = _put(cache, data, 7)
    assert stored is obj and obj["metadata"]["resourceVersion"] == "7"
    assert cache._writing == {}


def test_other_bytes_are_parsed():
    cache = WatchCache()
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"}}
    data = orjson.dumps(obj)
    with cache.writing(data, obj):
        stored = _put(cache, orjson.dumps(obj), 8)    # equal bytes, another object: not this write's
    assert stored is not obj and stored["metadata"]["resourceVersion"] == "8"
    assert cache._writing == {}                       # forgotten even though its event never came


def test_a_written_object_unlike_its_bytes_is_caught(monkeypatch):
    monkeypatch.setattr(watchcache, "VERIFY_WRITTEN_OBJECTS", True)
    cache = WatchCache()
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
           "data": {"ports": (1, 2)}}     # a tuple: stored as a JSON list
    data = orjson.dumps(obj)
    with cache.writing(data, obj), pytest.raises(AssertionError, match="differs from its stored bytes"):
        _put(cache, data, 9)


def test_tests_run_with_verification_on():
    assert watchcache.VERIFY_WRITTEN_OBJECTS
