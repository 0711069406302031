"""The node agent: images, runtime, pod workers, node status (issue #6, in progress)."""
