import pytest

from kybernetes.scheduler.config import KubeSchedulerConfiguration, adaptive_num_feasible_nodes, load_config_file


def load(**raw):
    return KubeSchedulerConfiguration.from_dict({"apiVersion": "kubescheduler.config.k8s.io/v1",
                                                 "kind": "KubeSchedulerConfiguration", **raw})


def test_defaults():
    cfg = load()
    assert (cfg.percentage_of_nodes_to_score, cfg.pod_initial_backoff_seconds, cfg.pod_max_backoff_seconds) == (0, 1, 10)
    (p,) = cfg.profiles
    assert p.scheduler_name == "default-scheduler"
    assert p.score_weights == {"TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1, "PodTopologySpread": 2,
                               "InterPodAffinity": 2, "NodeResourcesBalancedAllocation": 1, "ImageLocality": 1}
    assert p.enabled("filter")[:3] == ["NodeUnschedulable", "NodeName", "TaintToleration"]
    assert p.enabled("postFilter") == ["DefaultPreemption"] and p.enabled("bind") == ["DefaultBinder"]
    assert p.plugin_args["NodeResourcesFit"]["scoringStrategy"] == {
        "type": "LeastAllocated", "resources": [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]}
    assert p.plugin_args["DefaultPreemption"] == {"minCandidateNodesPercentage": 10, "minCandidateNodesAbsolute": 100}
    assert p.plugin_args["InterPodAffinity"]["hardPodAffinityWeight"] == 1
    assert p.plugin_args["PodTopologySpread"] == {"defaultingType": "System"}
    assert "VolumeBinding" in p.enabled("multiPoint")


def test_disable_and_reweight():
    cfg = load(profiles=[{"schedulerName": "custom", "plugins": {
        "score": {"disabled": [{"name": "ImageLocality"}], "enabled": [{"name": "NodeAffinity", "weight": 7}]},
        "filter": {"disabled": [{"name": "*"}], "enabled": [{"name": "NodeResourcesFit"}]},
        "multiPoint": {"disabled": [{"name": "TaintToleration"}]}}}])
    p = cfg.profiles[0]
    assert "ImageLocality" not in p.score_weights and p.score_weights["NodeAffinity"] == 7
    assert p.enabled("score")[0] == "NodeAffinity"          # explicit entries overriding multiPoint come first
    assert p.enabled("filter") == ["NodeResourcesFit"]
    assert "TaintToleration" not in p.enabled("preScore")
    assert "ImageLocality" in p.enabled("preScore")           # only disabled at score


def test_multi_point_weight_override_in_place():
    p = load(profiles=[{"plugins": {"multiPoint": {"enabled": [{"name": "ImageLocality", "weight": 9}]}}}]).profiles[0]
    assert p.score_weights["ImageLocality"] == 9
    assert p.enabled("score")[-1] == "ImageLocality"


def test_plugin_config_merges_defaults():
    p = load(profiles=[{"pluginConfig": [
        {"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}},
        {"name": "PodTopologySpread", "args": {"defaultConstraints": [
            {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}]}}]}]).profiles[0]
    assert p.plugin_args["NodeResourcesFit"]["scoringStrategy"]["resources"][0] == {"name": "cpu", "weight": 1}
    assert p.plugin_args["PodTopologySpread"]["defaultingType"] == "List"


@pytest.mark.parametrize("raw,path", [
    ({"percentageOfNodesToScore": 101}, "percentageOfNodesToScore"),
    ({"podInitialBackoffSeconds": 0}, "podInitialBackoffSeconds"),
    ({"podInitialBackoffSeconds": 5, "podMaxBackoffSeconds": 2}, "podMaxBackoffSeconds"),
    ({"profiles": [{"schedulerName": "a"}, {"schedulerName": "a"}]}, "profiles[1].schedulerName"),
    ({"profiles": [{"plugins": {"filter": {"enabled": [{"name": "Nope"}]}}}]}, "profiles[0].plugins.filter.enabled[0].name"),
    ({"profiles": [{"plugins": {"score": {"enabled": [{"name": "ImageLocality", "weight": 1000}]}}}]},
     "profiles[0].plugins.score.enabled[0].weight"),
    ({"profiles": [{"pluginConfig": [{"name": "InterPodAffinity", "args": {"hardPodAffinityWeight": 101}}]}]},
     "profiles[0].pluginConfig[InterPodAffinity].args.hardPodAffinityWeight"),
    ({"profiles": [{"pluginConfig": [{"name": "DefaultPreemption", "args": {"minCandidateNodesPercentage": 0,
                                                                         "minCandidateNodesAbsolute": 0}}]}]},
     "minCandidateNodesPercentage"),
    ({"profiles": [{"pluginConfig": [{"name": "NodeResourcesFit", "args": {"scoringStrategy": {
        "type": "RequestedToCapacityRatio"}}}]}]},
     "profiles[0].pluginConfig[NodeResourcesFit].args.scoringStrategy.requestedToCapacityRatio.shape"),
    ({"profiles": [{"pluginConfig": [{"name": "PodTopologySpread", "args": {"defaultingType": "System",
        "defaultConstraints": [{"maxSkew": 1, "topologyKey": "z", "whenUnsatisfiable": "DoNotSchedule"}]}}]}]},
     "defaultingType"),
    ({"profiles": [{"pluginConfig": [{"name": "Fit"}]}]}, "profiles[0].pluginConfig[0].name"),
    ({"apiVersion": "kubescheduler.config.k8s.io/v1beta2"}, "apiVersion"),
])
def test_validation_names_the_field(raw, path):
    with pytest.raises(ValueError) as e:
        load(**raw)
    assert path in str(e.value)


def test_load_yaml_file(tmp_path):
    f = tmp_path / "sched.yaml"
    f.write_text("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
                 "percentageOfNodesToScore: 50\nprofiles:\n- schedulerName: a\n- schedulerName: b\n")
    cfg = load_config_file(f)
    assert cfg.percentage_of_nodes_to_score == 50 and [p.scheduler_name for p in cfg.profiles] == ["a", "b"]
    assert cfg.profile("b") is cfg.profiles[1]


@pytest.mark.parametrize("nodes,pct,want", [
    (10, 0, 10), (99, 0, 99), (100, 0, 100), (1000, 0, 420), (5000, 0, 500), (6000, 0, 300),
    (20000, 0, 1000), (1000, 100, 1000), (1000, 10, 100), (1000, 50, 500), (150, 30, 100),
])
def test_adaptive_num_feasible_nodes(nodes, pct, want):
    assert adaptive_num_feasible_nodes(nodes, pct) == want
