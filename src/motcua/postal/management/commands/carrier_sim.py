"""``motcua carrier_sim``: the carrier simulator (``postal.simulator``), a separate process that behaves like the
carrier: takes orders, issues S10 waybills and sends signed webhooks over time."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.postal.simulator import Simulator


class Command(BaseCommand):
    help = ("Run the carrier simulator: orders, S10 waybills, tracking, COD statements, and signed webhooks sent "
            "to --webhook over time (docs/postal.md).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8020", help="host:port to listen on (127.0.0.1:8020).")
        parser.add_argument("--speed", type=float, default=1.0,
                            help="how much faster than real time the parcels move (each step takes 15 s / speed).")
        parser.add_argument("--failure-rate", type=float, default=0.0,
                            help="share of orders refused as if the carrier were down (0 to 1).")
        parser.add_argument("--webhook", default="", help="where to send status updates (MotCua's "
                            "/postal/carrier/webhook); none: only polling.")
        parser.add_argument("--seed", type=int, default=None, help="random seed (waybills, routes, mishaps).")
        parser.add_argument("--prefix", default="EB", help="the waybills' two service letters (EB, VN…).")
        parser.add_argument("--batch", type=int, default=50,
                            help="updates due at once are sent together, at most this many per webhook (50; "
                            "1: one update per webhook).")

    def handle(self, *args: Any, **options: Any) -> None:
        host, _sep, port = options["bind"].rpartition(":")
        if not port.isdigit():
            raise CommandError("--bind is host:port")
        simulator = Simulator(
            token=settings.MOTCUA_CARRIER_TOKEN, secret=settings.MOTCUA_CARRIER_WEBHOOK_SECRET,
            webhook=options["webhook"], speed=options["speed"], failure_rate=options["failure_rate"],
            seed=options["seed"], prefix=options["prefix"], batch=options["batch"],
        )
        self.stdout.write(f"Carrier simulator on http://{options['bind']}/ (webhooks to "
                          f"{options['webhook'] or 'nowhere: polling only'}, speed ×{options['speed']:g})")
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            simulator.serve(host or "127.0.0.1", int(port))
