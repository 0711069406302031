"""The event recorder against a real API server, read back the way kubectl describe does."""

from __future__ import annotations

import re

import pytest

from kybernetes.client.events import EventRecorder


async def _configmap(client, namespace: str, name: str = "cfg") -> dict:
    return await client.create("", "v1", "configmaps", {"metadata": {"name": name}, "data": {"a": "b"}},
                               namespace=namespace)


async def _events_about(client, namespace: str, name: str) -> list[dict]:
    # what `kubectl describe` asks for
    answer = await client.list("", "v1", "events", namespace=namespace,
                               field_selector=f"involvedObject.name={name},involvedObject.namespace={namespace}")
    return sorted(answer["items"], key=lambda e: e["reason"])


@pytest.fixture
async def recorder(client):
    r = EventRecorder(client, component="test-controller", host="node-1")
    yield r
    await r.close()


async def test_repeat_is_counted_on_one_event(client, namespace, recorder):
    cm = await _configmap(client, namespace)
    recorder.record(cm, type="Normal", reason="Synced", message="all good")
    recorder.record(cm, type="Normal", reason="Synced", message="all good")
    await recorder.flush()

    events = await _events_about(client, namespace, "cfg")
    assert len(events) == 1
    ev = events[0]
    assert ev["count"] == 2
    assert ev["type"] == "Normal" and ev["reason"] == "Synced" and ev["message"] == "all good"
    assert ev["metadata"]["namespace"] == namespace
    assert re.fullmatch(r"cfg\.[0-9a-f]{16}", ev["metadata"]["name"])
    io = ev["involvedObject"]
    assert io["kind"] == "ConfigMap" and io["apiVersion"] == "v1" and io["name"] == "cfg"
    assert io["namespace"] == namespace and io["uid"] == cm["metadata"]["uid"]
    assert io["resourceVersion"] == cm["metadata"]["resourceVersion"]
    assert ev["source"] == {"component": "test-controller", "host": "node-1"}
    assert ev["reportingComponent"] == "test-controller" and ev["reportingInstance"] == "node-1"
    assert ev["firstTimestamp"] <= ev["lastTimestamp"]

    # and a third time, after the first ones were written
    recorder.record(cm, type="Normal", reason="Synced", message="all good")
    await recorder.flush()
    (ev,) = await _events_about(client, namespace, "cfg")
    assert ev["count"] == 3


async def test_different_reason_or_type_makes_another_event(client, namespace, recorder):
    cm = await _configmap(client, namespace)
    recorder.record(cm, type="Normal", reason="Synced", message="ok")
    recorder.record(cm, type="Warning", reason="Failed", message="broken")
    recorder.eventf(cm, "Warning", "Failed", "broken %s", "again")
    await recorder.flush()

    events = await _events_about(client, namespace, "cfg")
    assert [(e["reason"], e["type"], e["count"]) for e in events] == [
        ("Failed", "Warning", 1), ("Failed", "Warning", 1), ("Synced", "Normal", 1)]
    assert len({e["metadata"]["name"] for e in events}) == 3


async def test_cluster_scoped_object_goes_to_default(client, namespace, recorder):
    ns = await client.get("", "v1", "namespaces", namespace)
    recorder.record(ns, type="Normal", reason="Checked", message=f"looked at {namespace}")
    await recorder.flush()
    answer = await client.list("", "v1", "events", namespace="default",
                               field_selector=f"involvedObject.name={namespace},involvedObject.kind=Namespace")
    (ev,) = answer["items"]
    assert ev["reason"] == "Checked" and "namespace" not in ev["involvedObject"]


async def test_deleted_event_is_recreated_and_bad_ones_dropped(client, namespace, recorder):
    cm = await _configmap(client, namespace)
    recorder.record(cm, type="Normal", reason="Synced", message="ok")
    await recorder.flush()
    (ev,) = await _events_about(client, namespace, "cfg")
    await client.delete("", "v1", "events", ev["metadata"]["name"], namespace=namespace)

    recorder.record(cm, type="Normal", reason="Synced", message="ok")
    # an event in a namespace that does not exist is refused; the recorder carries on
    recorder.record({"kind": "ConfigMap", "apiVersion": "v1", "namespace": "no-such-ns", "name": "x"},
                    type="Normal", reason="Nope", message="never written")
    recorder.record(cm, type="Normal", reason="After", message="still working")
    await recorder.flush()
    events = await _events_about(client, namespace, "cfg")
    assert [(e["reason"], e["count"]) for e in events] == [("After", 1), ("Synced", 2)]


async def test_similar_events_are_combined_and_a_flood_is_cut_off(client, namespace, recorder):
    """30 events differing only in message: the first 10 are written as they are, the
    next 15 fold into one combined Event, the last 5 exceed the per-object burst of 25."""
    cm = await _configmap(client, namespace)
    for i in range(30):
        recorder.record(cm, type="Normal", reason="SuccessfulCreate", message=f"Created pod: web-{i}")
    await recorder.flush()

    events = await _events_about(client, namespace, "cfg")
    plain = sorted(e["message"] for e in events if not e["message"].startswith("(combined"))
    combined = [e for e in events if e["message"].startswith("(combined from similar events): ")]
    assert plain == sorted(f"Created pod: web-{i}" for i in range(10))
    assert len(combined) == 1
    assert combined[0]["count"] == 15
    assert combined[0]["message"] == "(combined from similar events): Created pod: web-24"


async def test_events_about_many_objects_are_all_written_by_the_writers(client, namespace, recorder):
    """One event per object (the scheduler's Scheduled events): spread over the writer
    tasks, every one written; repeats about one object still fold into one Event."""
    cms = [await _configmap(client, namespace, f"cm-{i}") for i in range(40)]
    for cm in cms:
        recorder.record(cm, type="Normal", reason="Scheduled", message=f"placed {cm['metadata']['name']}")
    recorder.record(cms[0], type="Normal", reason="Scheduled", message="placed cm-0")
    await recorder.flush()
    events = (await client.list("", "v1", "events", namespace=namespace))["items"]
    assert sorted(e["involvedObject"]["name"] for e in events) == sorted(f"cm-{i}" for i in range(40))
    assert next(e for e in events if e["involvedObject"]["name"] == "cm-0")["count"] == 2


async def test_events_past_a_full_queue_are_dropped_with_one_warning(client, namespace, caplog):
    """More events than the queue holds while the writers cannot keep up: the rest are
    dropped (as client-go's broadcaster does), counted, and warned about once, not per event."""
    from kybernetes.client import events as events_mod

    rec = EventRecorder(client, component="test-controller", writers=1)
    cms = [{"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i}", "namespace": namespace, "uid": f"u-{i}"}}
           for i in range(events_mod.QUEUE_SIZE + 50)]
    try:
        with caplog.at_level("WARNING", logger=events_mod.__name__):
            for cm in cms:              # no await in between: the writer cannot take any yet
                rec.record(cm, type="Normal", reason="Scheduled", message="placed")
        assert rec.dropped == 50
        warnings = [r for r in caplog.records if "event queue full" in r.getMessage()]
        assert len(warnings) == 1
        await rec.flush()
        events = (await client.list("", "v1", "events", namespace=namespace))["items"]
        assert len(events) == events_mod.QUEUE_SIZE
    finally:
        await rec.close()
