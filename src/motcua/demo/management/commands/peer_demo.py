"""``motcua peer_demo main --peer-dir var/peer`` / ``motcua peer_demo peer --main-dir var``: the trial's two
provinces as each other's peers (``demo.peers``); idempotent, run by ``make run`` and ``make run-peer``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.demo import peers


class Command(BaseCommand):
    help = "Make this trial instance and the other one each other's peers (make run / make run-peer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("side", choices=["main", "peer"], help="main: Quảng Ninh (8000); peer: Hà Nội (8001)")
        parser.add_argument("--peer-dir", default="var/peer", help="the peer instance's data directory (main)")
        parser.add_argument("--main-dir", default="var", help="the main instance's data directory (peer)")
        parser.add_argument("--main-url", default=peers.MAIN["url"], help="the main instance's address")
        parser.add_argument("--peer-url", default=peers.PEER["url"], help="the peer instance's address")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["side"] == "main":
            peers.link_main(Path(options["peer_dir"]).resolve(), peer_url=options["peer_url"],
                            progress=self.stdout.write)
        else:
            peers.setup_peer(Path(options["main_dir"]).resolve(), main_url=options["main_url"],
                             progress=self.stdout.write)
