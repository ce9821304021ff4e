"""``motcua portal_sim``: the national public service portal's simulator (``integrations.dvcqg.simulator``), a
separate process: tokens, add/update/progress, the national catalogue, the citizens' document store."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.integrations.dvcqg.simulator import Simulator


class Command(BaseCommand):
    help = ("Run the national public service portal's simulator (DVCQG): OAuth2 tokens, dossiers added and "
            "updated, progress rows, the national catalogue and the citizens' document store "
            "(docs/national-portal.md).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8030", help="host:port to listen on (127.0.0.1:8030).")
        parser.add_argument("--failure-rate", type=float, default=0.0,
                            help="share of calls answered 503 as if the portal were down (0 to 1).")
        parser.add_argument("--slow", type=float, default=0.0, help="seconds to wait before each answer.")
        parser.add_argument("--seed", type=int, default=None, help="random seed (which calls fail).")

    def handle(self, *args: Any, **options: Any) -> None:
        host, _sep, port = options["bind"].rpartition(":")
        if not port.isdigit():
            raise CommandError("--bind is host:port")
        simulator = Simulator(client_id=settings.MOTCUA_DVCQG_CLIENT_ID,
                              client_secret=settings.MOTCUA_DVCQG_CLIENT_SECRET,
                              failure_rate=options["failure_rate"], slow=options["slow"], seed=options["seed"])
        self.stdout.write(f"National portal simulator (DVCQG) on http://{options['bind']}/ "
                          f"({len(simulator.catalogue)} national procedures)")
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            simulator.serve(host or "127.0.0.1", int(port))
