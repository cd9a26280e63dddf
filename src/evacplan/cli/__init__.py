"""The ``evacplan`` command line: a thin shell over the library."""

from evacplan.cli.app import app, main

__all__ = ["app", "main"]
