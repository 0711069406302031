"""Settings for every test, in-process servers and spawned ``kyb`` processes alike."""

import os

# the watch cache checks each object it takes from a write against the stored bytes
# (kybernetes/apiserver/watchcache.py); set before any kybernetes module is imported
os.environ["KYB_VERIFY_WRITTEN_OBJECTS"] = "1"
