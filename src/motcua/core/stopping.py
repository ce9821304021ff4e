"""``Stopping``: Ctrl-C or SIGTERM asks a long-running command (``motcua serve``, ``refresh_stats --follow``) to
end its loop cleanly, instead of killing it in the middle of a transaction."""

from __future__ import annotations

import signal
from types import FrameType


class Stopping:
    """Installs handlers for SIGINT and SIGTERM; true once either arrived."""

    def __init__(self) -> None:
        self.asked = False
        signal.signal(signal.SIGINT, self._ask)
        signal.signal(signal.SIGTERM, self._ask)

    def _ask(self, signum: int, frame: FrameType | None) -> None:
        self.asked = True

    def __bool__(self) -> bool:
        return self.asked
