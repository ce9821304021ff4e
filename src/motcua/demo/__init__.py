"""The demo app (trial mode): the Quảng Ninh demo province (:mod:`.province`) and ``motcua load_demo``.

It sits above every domain app (it fills them all), so no app below imports it. Its names are read from
:mod:`.province` on first use, not at import: Django imports this package while it loads the apps, before
the models :mod:`.province` uses can be imported.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from motcua.demo.province import AGENCIES_FILE, CATALOG_FILE, DEMO_PASSWORD, load_demo

__all__ = ["AGENCIES_FILE", "CATALOG_FILE", "DEMO_PASSWORD", "load_demo"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("motcua.demo.province"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
