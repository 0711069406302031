"""The in-tree scheduling plugins, one module each; :mod:`.registry` maps their
upstream names to factories ``(args: dict, handle) -> plugin``."""
