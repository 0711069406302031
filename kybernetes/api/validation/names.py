"""Name, label and key checks with upstream's messages (apimachinery util/validation).

The implementation lives in :mod:`kybernetes.api.names`, a standalone module
that label selector parsing shares without importing this package; this module
re-exports its public names (``names.is_qualified_name``, ``names.regex_error``,
``names.name_is_dns_subdomain`` and so on) for the rest of validation.
"""

from __future__ import annotations

from ..names import *  # noqa: F401,F403
