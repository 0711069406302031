"""Running containers: the OCI spec the kubelet writes for runc (more to come in #6)."""
