"""Readers of street network formats; each returns a :class:`~evacplan.network.raw.RawNetwork`."""
