"""``motcua serve``: what production runs, in one command — gunicorn (several workers) beside the task worker.

``make run`` calls it after ``migrate``, ``load_demo`` and ``collectstatic``, so that what a newcomer sees is what
production serves: ``DEBUG`` off, static files through WhiteNoise, several processes sharing one database (the
embedded SQLite in WAL mode with immediate transactions and a busy timeout, or PostgreSQL). Both children are
stopped together: when either ends, or on Ctrl-C / SIGTERM. In demo mode, with the demo PKI ``load_demo`` made,
a third child serves its OCSP responder, CRLs and timestamp authority (``motcua pki_serve``), and the carrier
simulator (``motcua carrier_sim``) plays the post, sending its webhooks to the site served here, and the national
portal's simulator (``motcua portal_sim``) receives what the outbox worker syncs, and the Zalo simulator
(``motcua zalo_sim``) plays the official account and its followers. Every few minutes
short-lived jobs run: ``poll_shipments`` asks the carrier about shipments without news (the webhook's fallback),
``seal_chains --if-due`` seals the event log and ``send_digests --if-due`` e-mails the leaders' daily and weekly
digests. The statistics follower (``refresh_stats --follow``) keeps the reporting facts up with the event log, so
that the web processes (``MOTCUA_STATS_REFRESH=follow``) leave the refresh of the figures to it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.stopping import Stopping


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
        parser.add_argument("--no-poll", action="store_true",
                            help="do not poll the carrier for shipments without news (run `motcua poll_shipments` "
                                 "elsewhere).")
        parser.add_argument("--no-stats", action="store_true",
                            help="do not start the reporting facts' follower nor send the leaders' digests (the "
                                 "requests then refresh the facts themselves; run `motcua send_digests --if-due` "
                                 "elsewhere).")
        parser.add_argument("--no-outbox", action="store_true",
                            help="do not start the outbox worker (run `motcua deliver_outbox --follow` elsewhere).")
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
        env = dict(os.environ)
        host, _sep, port = options["bind"].rpartition(":")
        site = f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}"  # noqa: S104 - a comparison
        if settings.DEMO_MODE and not settings.PUBLIC_BASE_URL:
            # the trial's links in e-mails and SMS (digests, notifications) lead to the site served here
            env["MOTCUA_PUBLIC_URL"] = site
        if not options["no_stats"]:
            # the reporting facts' follower: the actions leave the refresh of the figures to it (stats.services)
            env["MOTCUA_STATS_REFRESH"] = "follow"
            follower = [python, "-m", "motcua.cli", "refresh_stats", "--follow", "-v", "0"]
            children.append(("statistics follower", subprocess.Popen(follower, env=env)))  # noqa: S603
        if not options["no_outbox"]:
            # the outbox worker: what leaves for the outside systems (national portal, peers), retried with backoff
            sender = [python, "-m", "motcua.cli", "deliver_outbox", "--follow", "-v", "0"]
            children.append(("outbox worker", subprocess.Popen(sender, env=env)))  # noqa: S603
        if not options["no_task_worker"]:
            worker = [python, "-m", "motcua.cli", "db_worker", "--queue-name", "*", "--no-reload", "-v", "0"]
            children.append(("task worker", subprocess.Popen(worker, env=env)))  # noqa: S603 - our own interpreter
        children.append(("gunicorn", subprocess.Popen(server, env=env)))  # noqa: S603 - our own interpreter
        # The demo PKI's OCSP responder, CRLs and timestamp authority (`load_demo` made it), so that `make run`
        # signs for real; it is a helper: if it stops (e.g. its port is taken), the site goes on without it.
        helpers: list[tuple[str, subprocess.Popen[bytes]]] = []
        if settings.DEMO_MODE and (Path(settings.MOTCUA_PKI_DIR) / "certomancer.yml").exists():
            url = urlsplit(settings.MOTCUA_PKI_URL)
            pki = [python, "-m", "motcua.cli", "pki_serve", "--bind", f"{url.hostname}:{url.port or 80}"]
            helpers.append(("demo PKI", subprocess.Popen(pki)))  # noqa: S603 - our own interpreter
            self.stdout.write(f"Demo PKI (OCSP, CRL, timestamps) on {settings.MOTCUA_PKI_URL}/")
        carrier = urlsplit(settings.MOTCUA_CARRIER_URL)
        if settings.DEMO_MODE and carrier.hostname in ("127.0.0.1", "localhost"):
            # the carrier simulator plays the post (orders, waybills, webhooks to this site, sometimes failing)
            sim = [python, "-m", "motcua.cli", "carrier_sim", "--bind", f"{carrier.hostname}:{carrier.port or 80}",
                   "--webhook", f"{site}/postal/carrier/webhook", "--speed", "1", "--failure-rate", "0.05"]
            helpers.append(("carrier simulator", subprocess.Popen(sim)))  # noqa: S603 - our own interpreter
            self.stdout.write(f"Carrier simulator (Vietnam Post) on {settings.MOTCUA_CARRIER_URL}/, webhooks to "
                              f"{site}/postal/carrier/webhook")
        population = urlsplit(settings.MOTCUA_POPULATION_URL)
        if settings.DEMO_MODE and population.hostname in ("127.0.0.1", "localhost"):
            # the population database simulator answers the identity checks (sign-up, counter, post office)
            sim = [python, "-m", "motcua.cli", "population_sim", "--bind",
                   f"{population.hostname}:{population.port or 80}"]
            helpers.append(("population database simulator", subprocess.Popen(sim)))  # noqa: S603
            self.stdout.write(f"Population database simulator on {settings.MOTCUA_POPULATION_URL}/ (fictional "
                              "people; docs/population.md lists a few to sign up with)")
        portal = urlsplit(settings.MOTCUA_DVCQG_URL)
        if settings.DEMO_MODE and portal.hostname in ("127.0.0.1", "localhost"):
            # the national public service portal's simulator: what the outbox worker syncs shows up on its page
            sim = [python, "-m", "motcua.cli", "portal_sim", "--bind", f"{portal.hostname}:{portal.port or 80}"]
            helpers.append(("national portal simulator", subprocess.Popen(sim)))  # noqa: S603 - our interpreter
            self.stdout.write(f"National public service portal simulator (DVCQG) on {settings.MOTCUA_DVCQG_URL}/")
        zalo = urlsplit(settings.MOTCUA_ZALO_API_URL)
        if settings.DEMO_MODE and settings.MOTCUA_ZALO_APP_ID and zalo.hostname in ("127.0.0.1", "localhost"):
            # the Zalo official account's simulator: messages to citizens, and citizens following and writing to it
            sim = [python, "-m", "motcua.cli", "zalo_sim", "--bind", f"{zalo.hostname}:{zalo.port or 80}",
                   "--webhook", f"{site}/zalo/webhook"]
            helpers.append(("Zalo simulator", subprocess.Popen(sim)))  # noqa: S603 - our own interpreter
            self.stdout.write(f"Zalo OA simulator on {settings.MOTCUA_ZALO_API_URL}/, webhooks to {site}/zalo/webhook")
        self.stdout.write(
            f"Serving on http://{options['bind']}/ with {options['workers']} gunicorn workers × "
            f"{options['threads']} threads" + ("" if options["no_task_worker"] else " and the task worker")
            + ("" if options["no_stats"] else " and the statistics follower")
            + ("" if options["no_outbox"] else " and the outbox worker")
            + "".join(f" and the {name}" for name, _child in helpers) + " (Ctrl-C stops them all).")

        stopping = Stopping()
        ended = ""
        # short-lived periodic jobs, one at a time each (a failure is printed and tried again at the next turn):
        # the event log's chain heads sealed when due (dossiers.seals; the first check waits for the demo PKI, whose
        # timestamp authority signs the seal), shipments without news polled (first after a minute: the site up),
        # and the leaders' digests sent when due
        pki_url = settings.MOTCUA_PKI_URL
        pki_ready = ((lambda: _accepts(pki_url))
                     if any(name == "demo PKI" for name, _child in helpers) else None)
        jobs = [job for job in (
            Periodic("seal", ["seal_chains", "--if-due"], settings.MOTCUA_SEAL_CHECK_MINUTES, 0,
                     not options["no_seal"], ready=pki_ready),
            Periodic("poll", ["poll_shipments"], settings.MOTCUA_SHIPMENT_POLL_MINUTES, 60, not options["no_poll"]),
            Periodic("digests", ["send_digests", "--if-due"], settings.MOTCUA_DIGEST_CHECK_MINUTES, 90,
                     not options["no_stats"]),
        ) if job.enabled]
        while not stopping and not ended:
            for name, child in children:
                if child.poll() is not None:
                    ended = f"{name} ended (exit status {child.returncode})"
                    break
            for name, child in list(helpers):
                if child.poll() is not None:
                    helpers.remove((name, child))
                    self.stderr.write(self.style.WARNING(
                        f"{name} ended (exit status {child.returncode}): signing needs it. / "
                        "Dịch vụ chứng thư số mẫu đã dừng: không ký số được." if name == "demo PKI" else
                        f"{name} ended (exit status {child.returncode}): identities cannot be checked. / "
                        "Trình mô phỏng CSDL quốc gia về dân cư đã dừng: không xác thực được công dân."
                        if name.startswith("population") else
                        f"{name} ended (exit status {child.returncode}): no Zalo messages. / "
                        "Trình mô phỏng Zalo đã dừng: không gửi được tin Zalo." if name.startswith("Zalo") else
                        f"{name} ended (exit status {child.returncode}): results cannot be sent by post. / "
                        "Trình mô phỏng bưu chính đã dừng: không gửi kết quả qua bưu điện được."))
            for job in jobs:
                job.tick(python, env)
            time.sleep(0.2)
        children += [(job.name, job.process) for job in jobs if job.process is not None and job.process.poll() is None]
        for _name, child in children + helpers:
            if child.poll() is None:
                child.terminate()
        for _name, child in children + helpers:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if ended:
            raise CommandError(f"Stopped: {ended}. / Đã dừng: một tiến trình con kết thúc.")


class Periodic:
    """A short-lived ``motcua`` command run every ``minutes`` (the first time after ``first`` seconds), never two
    at once: the process is reaped before the next one starts."""

    # how long the first run waits for what it needs (``ready``) before it runs anyway and reports the failure
    READY_LIMIT = 300.0

    def __init__(self, name: str, argv: list[str], minutes: float, first: float, enabled: bool,
                 ready: Callable[[], bool] | None = None) -> None:
        self.name, self.argv, self.every, self.enabled = name, argv, float(minutes) * 60, enabled
        self.next = time.monotonic() + first
        self.process: subprocess.Popen[bytes] | None = None
        # the first run waits until ``ready()`` (the demo PKI answers: sealing needs its timestamp authority), so
        # that a slow start does not print a failure a new user takes for a fault
        self.ready, self.ready_by = ready, time.monotonic() + self.READY_LIMIT

    def tick(self, python: str, env: dict[str, str]) -> None:
        if self.process is not None and self.process.poll() is not None:
            self.process = None
        if self.process is None and time.monotonic() >= self.next:
            if self.ready is not None and time.monotonic() < self.ready_by and not self.ready():
                self.next = time.monotonic() + 2
                return
            self.ready = None
            self.process = subprocess.Popen([python, "-m", "motcua.cli", *self.argv], env=env)  # noqa: S603
            self.next = time.monotonic() + self.every


def _accepts(url: str) -> bool:
    """Whether ``url``'s server accepts connections now (checked in a fraction of a second)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=0.2):
            return True
    except OSError:
        return False
