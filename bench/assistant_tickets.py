"""Benchmark (part "tickets" of ``bench/assistant.py``): the waiting room's two writes under load.

- ticket issue (``counters.services.issue_ticket``, what the kiosk does: a gap-free number taken with
  ``core.counters.take_next``, the ticket and its audit row, one transaction): one kiosk, then four kiosks at once
  (threads, each with its own connection) on the same area — the number's row lock serializes them;
- call next (``counters.services.call_next``: the counter's current ticket closed, the head of its line claimed
  by a conditional update, audited): one counter, then two counters at once calling from the same line.

Each database in its own child process, on a fresh database: SQLite (a file, as the embedded default), and
PostgreSQL when ``DATABASE_URL`` names one (a database ``<its name>_bench_tickets`` on that server is created and
dropped). Everything is checked afterwards: numbers 1…N without gaps or repeats, every ticket called exactly once.

    .venv/bin/python bench/assistant_tickets.py [--tickets 2000] [--smoke]

Prints the figures; not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
KIOSKS, COUNTERS = 4, 2


def environment(tmp: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="motcua.config.settings", MOTCUA_DATA_DIR=str(tmp),
               SECRET_KEY=secrets.token_urlsafe(50), DEBUG="0", LOG_LEVEL="WARNING",
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


# --- the child (Django) --------------------------------------------------------------------------------------------


from tests.concurrency import at_once  # noqa: E402 - after the path is set; threads each with its own connection


def measure(tickets: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from motcua.agencies.models import Agency, AgencyKind, Counter, Membership, Role
    from motcua.counters import errors, services
    from motcua.counters.models import ServiceArea, Ticket
    from motcua.geo.models import AdministrativeUnit

    call_command("migrate", verbosity=0)
    province = AdministrativeUnit.objects.create(code="22", name="Quảng Ninh", kind="province")
    center = Agency.objects.create(identifier_code="000.00.01.H22", name="Trung tâm", kind=AgencyKind.SERVICE_CENTER,
                                   unit=province)
    counters = [Counter.objects.create(agency=center, number=n, name=f"Quầy {n}") for n in range(1, COUNTERS + 1)]
    one = ServiceArea.objects.create(agency=center, letter="A", name="Hộ tịch")
    many = ServiceArea.objects.create(agency=center, letter="B", name="Đất đai")
    officer = get_user_model().objects.create_user("tiepnhan")
    Membership.objects.create(user=officer, agency=center, role=Role.RECEPTION)
    services.issue_ticket(area_id=one.pk)  # warm: the first request's imports and caches are not the figure
    Ticket.objects.all().delete()
    from motcua.counters.models import TicketNumber

    TicketNumber.objects.all().delete()
    figures: dict[str, Any] = {"vendor": connection.vendor, "tickets": tickets}

    started = time.perf_counter()
    for _ in range(tickets):
        services.issue_ticket(area_id=one.pk)
    figures["issue_one"] = tickets / (time.perf_counter() - started)

    share = tickets // KIOSKS
    started = time.perf_counter()
    outcome = at_once(KIOSKS, lambda i: [services.issue_ticket(area_id=many.pk).number for _ in range(share)])
    figures["issue_many"] = share * KIOSKS / (time.perf_counter() - started)
    numbers = sorted(n for result in outcome if isinstance(result, list) for n in result)
    figures["issue_errors"] = [repr(r) for r in outcome if isinstance(r, Exception)][:3]
    figures["numbers_ok"] = numbers == list(range(1, share * KIOSKS + 1))

    started = time.perf_counter()
    for _ in range(tickets):
        services.call_next(counter=counters[0], staff=officer)  # area A: both counters serve every area
    figures["call_one"] = tickets / (time.perf_counter() - started)

    def calls(index: int) -> list[str]:
        called = []
        while True:
            try:
                called.append(services.call_next(counter=counters[index], staff=officer).label)
            except errors.NobodyWaiting:
                return called

    started = time.perf_counter()
    outcome = at_once(COUNTERS, calls)
    elapsed = time.perf_counter() - started
    labels = [label for result in outcome if isinstance(result, list) for label in result]
    figures["call_many"] = len(labels) / elapsed if elapsed else 0.0
    figures["call_errors"] = [repr(r) for r in outcome if isinstance(r, Exception)][:3]
    figures["calls_ok"] = (len(labels) == len(set(labels)) == share * KIOSKS
                           and not Ticket.objects.filter(status="waiting").exists())
    return figures


# --- the run -----------------------------------------------------------------------------------------------------


def child(env: dict[str, str], tickets: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", str(tickets)], env=env, capture_output=True,
                         text=True, check=False, cwd=ROOT)  # noqa: S603 - this script
    if out.returncode:
        raise SystemExit(f"bench child failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return ""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{parts.path.strip('/') or 'motcua'}_bench_tickets"))


def pg(command: str, url: str) -> None:
    parts = urlsplit(url)
    subprocess.run([command, "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U",  # noqa: S603
                    parts.username or "postgres", *(["--if-exists", "--force"] if command == "dropdb" else []),
                    parts.path.strip("/")], check=command == "createdb")


def rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    name = figures["vendor"]
    ok = figures["numbers_ok"] and figures["calls_ok"] and not figures["issue_errors"] and not figures["call_errors"]
    return [
        (f"{name}: ticket issue, one kiosk", f"{figures['issue_one']:,.0f} tickets/s ({figures['tickets']:,})"),
        (f"{name}: ticket issue, {KIOSKS} kiosks at once (one area)", f"{figures['issue_many']:,.0f} tickets/s"),
        (f"{name}: call next, one counter", f"{figures['call_one']:,.0f} tickets/s"),
        (f"{name}: call next, {COUNTERS} counters at once (one line)", f"{figures['call_many']:,.0f} tickets/s"),
        (f"{name}: checked", "OK: numbers 1…N without gaps, each ticket called once" if ok else
         f"MISMATCH: {figures['issue_errors'] or figures['call_errors'] or 'numbers or calls'}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--smoke", action="store_true", help="small sizes (make test)")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(measure(options.child)))
        return
    tickets = 80 if options.smoke else options.tickets
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(child(environment(Path(tmp), ""), tickets))
    url = postgres_url()
    if url:
        pg("dropdb", url)
        pg("createdb", url)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                results.append(child(environment(Path(tmp), url), tickets))
        finally:
            pg("dropdb", url)
    failed = False
    for figures in results:
        for label, value in rows(figures):
            print(f"  {label:<58} {value}", flush=True)
            failed = failed or value.startswith("MISMATCH")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
