"""evacplan: plan large-scale civilian evacuations with humanitarian standards built in."""

from __future__ import annotations

__version__ = "0.1.0"
