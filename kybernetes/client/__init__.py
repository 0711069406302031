"""The client side of the API: REST client, kubeconfig loading, informers,
work queues, the controller runner, leader election and the event recorder."""

from .controller import Controller, Result
from .events import EventRecorder
from .informer import (
    Informer,
    SharedInformerFactory,
    index_by_controller,
    index_by_namespace,
    index_by_node,
    index_by_owner,
    label_indexer,
    object_key,
)
from .kubeconfig import ClientConfig, KubeconfigError, config_from_dict, load_kubeconfig
from .leaderelection import LeaderElector
from .rest import APIStatusError, Client, TokenBucket, resource_path
from .workqueue import (
    FakeClock,
    ShutDown,
    SystemClock,
    WorkQueue,
    default_controller_rate_limiter,
)

__all__ = [
    "APIStatusError", "Client", "ClientConfig", "Informer", "KubeconfigError", "SharedInformerFactory",
    "TokenBucket", "config_from_dict", "index_by_controller", "index_by_namespace", "index_by_node", "index_by_owner",
    "label_indexer", "load_kubeconfig", "object_key", "resource_path",
    "Controller", "Result", "EventRecorder", "LeaderElector", "WorkQueue", "FakeClock", "SystemClock", "ShutDown", "default_controller_rate_limiter",
]
