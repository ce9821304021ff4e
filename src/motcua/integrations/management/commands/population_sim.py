"""``motcua population_sim``: the population database simulator (``integrations.population.simulator``), a
separate process that answers identity look-ups and verifications for fictional people."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.integrations.population.simulator import Simulator


class Command(BaseCommand):
    help = ("Run the national population database simulator: OAuth2 tokens, citizen look-ups and verifications "
            "for fictional people, and a page of the look-ups it answered (docs/population.md).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8040", help="host:port to listen on (127.0.0.1:8040).")
        parser.add_argument("--people", type=int, default=200, help="how many fictional people to generate (200) "
                            "besides the demo accounts' persons.")
        parser.add_argument("--seed", type=int, default=14, help="random seed of the generated people.")
        parser.add_argument("--failure-rate", type=float, default=0.0,
                            help="share of requests answered 503 as if the database were down (0 to 1).")

    def handle(self, *args: Any, **options: Any) -> None:
        host, _sep, port = options["bind"].rpartition(":")
        if not port.isdigit():
            raise CommandError("--bind is host:port")
        simulator = Simulator(client_id=settings.MOTCUA_POPULATION_CLIENT_ID,
                              secret=settings.MOTCUA_POPULATION_CLIENT_SECRET, count=options["people"],
                              seed=options["seed"])
        simulator.failure_rate = options["failure_rate"]
        self.stdout.write(f"Population database simulator on http://{options['bind']}/ "
                          f"({len(simulator.people)} fictional people)")
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            simulator.serve(host or "127.0.0.1", int(port))
