"""The app's WSGI application with the benchmark's one-row floor view at ``/bench/floor`` (see ``floor.py``)."""

import floor
from motcua.config.wsgi import application

floor.install()

__all__ = ["application"]
