"""Simulated nodes (``kyb sim``): one process that plays many kubelets, like kwok.

It gives schedulers, controllers and benchmarks a cluster of any size without
running containers. Every simulated node behaves, *as seen through the API*, like
a kubelet that is healthy and has nothing to report:

* it **registers** a Node with capacity, labels, taints, a podCIDR and Ready
  conditions (``nodeobject.py`` builds it, ``registration.py`` creates or adopts it);
* it **heartbeats**: renews its Lease in ``kube-node-lease`` every 10 s and rewrites
  its node status every 5 minutes (``heartbeat.py``), the renewals of all nodes
  spread evenly across the interval by one scheduler (``schedule.py``) so that
  5,000 nodes cost a steady trickle of writes, not a burst every 10 s;
* it **runs pods** bound to it (``pods.py``): after ``--pod-ready-delay`` one status
  write reports them Running and Ready with an IP from the node's podCIDR
  (``addresses.py``), and a graceful deletion is confirmed at once.

Nothing here ever connects to a node or pod address: they are data in objects.
``runner.run_sim`` wires the pieces together; ``config.SimConfig`` holds the options.
"""

from .config import SimConfig, parse_labels, parse_taints
from .runner import run_sim

__all__ = ["SimConfig", "parse_labels", "parse_taints", "run_sim"]
