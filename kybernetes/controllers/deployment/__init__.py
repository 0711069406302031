"""The Deployment controller: rolls a pod template out through ReplicaSets.

:mod:`.util` holds the pure decisions (hashes, sizes, annotations, conditions),
:mod:`.controller` the informers, event handlers and writes.
"""

from .controller import DeploymentController, new_deployment_controller

__all__ = ["DeploymentController", "new_deployment_controller"]
