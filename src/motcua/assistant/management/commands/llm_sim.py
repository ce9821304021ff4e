"""``motcua llm_sim``: a stand-in language model (``assistant.simulator``) for the assistant's optional rephrasing;
point ``MOTCUA_ASSISTANT_LLM_URL`` at it."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.assistant.simulator import LlmSimulator


class Command(BaseCommand):
    help = ("Run a stand-in for an OpenAI-compatible language model that rephrases the assistant's summaries "
            "deterministically (docs/assistant.md).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8060", help="host:port to listen on (127.0.0.1:8060).")
        parser.add_argument("--mode", default="cite", choices=["cite", "forget_code", "garbage"],
                            help="cite the procedure's code (cite), drop it (forget_code), or answer non-JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, _sep, port = options["bind"].rpartition(":")
        if not port.isdigit():
            raise CommandError("--bind is host:port")
        simulator = LlmSimulator()
        simulator.mode = options["mode"]
        self.stdout.write(f"Language model simulator on http://{options['bind']}/v1/chat/completions")
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            simulator.serve(host or "127.0.0.1", int(port))
