"""``motcua pki_serve``: the demo PKI's OCSP responder, CRLs and RFC 3161 timestamp authority (certomancer).

Serves the directory ``load_demo`` wrote (``MOTCUA_PKI_DIR``) at ``--bind`` (the host and port of
``MOTCUA_PKI_URL``, which the certificates name). ``motcua serve`` starts it beside gunicorn in demo mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from certomancer.integrations.animator import Animator, AnimatorArchStore
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from werkzeug.serving import run_simple

from motcua.signing.pki import load_config


def default_bind() -> str:
    url = urlsplit(settings.MOTCUA_PKI_URL)
    return f"{url.hostname or '127.0.0.1'}:{url.port or 80}"


class Command(BaseCommand):
    help = "Serve the demo PKI's OCSP responder, CRLs and timestamp authority (certomancer's Animator)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="", help="host:port to listen on (that of MOTCUA_PKI_URL).")
        parser.add_argument("--dir", default="", help="the demo PKI's directory (MOTCUA_PKI_DIR).")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["dir"] or settings.MOTCUA_PKI_DIR)
        if not (directory / "certomancer.yml").exists():
            raise CommandError(f"No demo PKI in {directory}: run `motcua load_demo` first. / "
                               "Chưa có hạ tầng khóa công khai mẫu: chạy `motcua load_demo` trước.")
        host, _, port = (options["bind"] or default_bind()).rpartition(":")
        config = load_config(directory)
        app = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False, allow_time_override=False)
        self.stdout.write(f"Demo PKI (OCSP, CRL, TSA) on http://{host}:{port}/ from {directory}")
        run_simple(host or "127.0.0.1", int(port), app, threaded=True, use_reloader=False)
