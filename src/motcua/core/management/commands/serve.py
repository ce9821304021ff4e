"""``motcua serve``: what production runs, in one command — gunicorn (several workers) beside the task worker.

``make run`` calls it after ``migrate``, ``load_demo`` and ``collectstatic``, so that what a newcomer sees is what
production serves: ``DEBUG`` off, static files through WhiteNoise, several processes sharing one database (the
embedded SQLite in WAL mode with immediate transactions and a busy timeout, or PostgreSQL). Both children are
stopped together: when either ends, or on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def default_workers() -> int:
    """Two processes per core, at least two and at most eight (gunicorn's usual advice, bounded for a laptop)."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class Command(BaseCommand):
    help = (
        "Serve MotCua as production does: gunicorn with several workers (DEBUG off, static files through "
        "WhiteNoise) and the background task worker, stopped together. Run migrate and collectstatic first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port to listen on (127.0.0.1:8000).")
        parser.add_argument("--workers", type=int, default=default_workers(), help="gunicorn worker processes.")
        parser.add_argument("--threads", type=int, default=2, help="threads per worker (gthread).")
        parser.add_argument("--timeout", type=int, default=60, help="seconds before a stuck worker is restarted.")
        parser.add_argument("--no-task-worker", action="store_true",
                            help="do not start the background task worker (run `motcua db_worker` elsewhere).")
        parser.add_argument("--access-log", action="store_true", help="print one line per request.")
        parser.add_argument("--no-seal", action="store_true",
                            help="do not seal the event log's chain heads (run `motcua seal_chains --if-due` "
                                 "elsewhere).")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG:
            self.stderr.write(self.style.WARNING(
                "DEBUG is on: production runs with DEBUG off. / DEBUG đang bật: môi trường thật tắt DEBUG."))
        if not settings.DEBUG and not (Path(settings.STATIC_ROOT) / "motcua" / "motcua.css").exists():
            raise CommandError(
                f"Static files are not collected in {settings.STATIC_ROOT}: run `motcua collectstatic --noinput`. / "
                "Chưa thu thập tệp tĩnh: chạy `motcua collectstatic --noinput`.")
        python = sys.executable
        server = [
            python, "-m", "gunicorn", "motcua.config.wsgi",
            "--bind", options["bind"], "--workers", str(options["workers"]),
            "--worker-class", "gthread", "--threads", str(options["threads"]),
            "--timeout", str(options["timeout"]), "--graceful-timeout", "10", "--no-control-socket",
            "--forwarded-allow-ips", os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        ]
        if options["access_log"]:
            server += ["--access-logfile", "-"]
        children: list[tuple[str, subprocess.Popen[bytes]]] = []
        if not options["no_task_worker"]:
            worker = [python, "-m", "motcua.cli", "db_worker", "--queue-name", "*", "--no-reload", "-v", "0"]
            children.append(("task worker", subprocess.Popen(worker)))  # noqa: S603 - our own interpreter
        children.append(("gunicorn", subprocess.Popen(server)))  # noqa: S603 - our own interpreter
        self.stdout.write(
            f"Serving on http://{options['bind']}/ with {options['workers']} gunicorn workers × "
            f"{options['threads']} threads" + ("" if options["no_task_worker"] else " and the task worker")
            + " (Ctrl-C stops both).")

        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        ended = ""
        # the event log's chain heads are sealed when due (dossiers.seals): checked now and every few minutes, by a
        # short-lived `seal_chains --if-due` (its failure is printed, and tried again at the next check)
        every = float(settings.MOTCUA_SEAL_CHECK_MINUTES) * 60
        next_seal, sealing = time.monotonic(), None
        while not stopping and not ended:
            for name, child in children:
                if child.poll() is not None:
                    ended = f"{name} ended (exit status {child.returncode})"
                    break
            if sealing is not None and sealing.poll() is not None:  # reaped: one at a time, never a zombie
                sealing = None
            if not options["no_seal"] and sealing is None and time.monotonic() >= next_seal:
                sealing = subprocess.Popen([python, "-m", "motcua.cli", "seal_chains", "--if-due"])  # noqa: S603
                next_seal = time.monotonic() + every
            time.sleep(0.2)
        if sealing is not None and sealing.poll() is None:
            children.append(("seal", sealing))
        for _name, child in children:
            if child.poll() is None:
                child.terminate()
        for _name, child in children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if ended:
            raise CommandError(f"Stopped: {ended}. / Đã dừng: một tiến trình con kết thúc.")
