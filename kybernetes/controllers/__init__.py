"""The controllers of ``kyb controller-manager``: one module per controller, plus the
manager that builds them on one shared client and informer factory and runs them
(under leader election, so that only one replica acts).

Each controller follows the informer -> work queue -> ``reconcile(key)`` pattern of
:mod:`kybernetes.client` (see DESIGN.md, "level-triggered").
"""

from .manager import CONTROLLERS, ControllerContext, run_controller_manager

__all__ = ["CONTROLLERS", "ControllerContext", "run_controller_manager"]
