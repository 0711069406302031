"""The scheduler (``kyb scheduler``): picks a node for each pending pod in two phases,
filter and score, through upstream's framework of extension points and plugins, and
binds it. See :mod:`.types` for the data model."""
