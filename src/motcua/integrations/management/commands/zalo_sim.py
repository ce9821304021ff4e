"""``motcua zalo_sim``: the Zalo official-account simulator (``integrations.zalo.simulator``), a separate process
that answers the Open API (tokens, messages) and plays the citizens who follow the OA (the webhook's events)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.integrations.zalo.simulator import Simulator


class Command(BaseCommand):
    help = ("Run the Zalo official-account simulator: access tokens, messages to followers, and a page to act as a "
            "citizen (follow, send a text) whose events go to MotCua's webhook (docs/zalo.md).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8050", help="host:port to listen on (127.0.0.1:8050).")
        parser.add_argument("--webhook", default="http://127.0.0.1:8000/zalo/webhook",
                            help="MotCua's webhook, where the citizens' events are sent.")
        parser.add_argument("--token-seconds", type=int, default=90000,
                            help="how long an access token lives (Zalo: 25 hours).")
        parser.add_argument("--failure-rate", type=float, default=0.0,
                            help="share of API requests answered 503 (0 to 1).")

    def handle(self, *args: Any, **options: Any) -> None:
        host, _sep, port = options["bind"].rpartition(":")
        if not port.isdigit():
            raise CommandError("--bind is host:port")
        simulator = Simulator(app_id=settings.MOTCUA_ZALO_APP_ID, secret_key=settings.MOTCUA_ZALO_SECRET_KEY,
                              oa_id=settings.MOTCUA_ZALO_OA_ID, oa_secret=settings.MOTCUA_ZALO_OA_SECRET,
                              refresh_token=settings.MOTCUA_ZALO_REFRESH_TOKEN, webhook=options["webhook"],
                              token_seconds=options["token_seconds"])
        simulator.failure_rate = options["failure_rate"]
        self.stdout.write(f"Zalo OA simulator on http://{options['bind']}/ (webhook {options['webhook']})")
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            simulator.serve(host or "127.0.0.1", int(port))
