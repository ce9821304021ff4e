"""Benchmark (part 1 of ``bench/interconnect.py``): the outbox's throughput to the national portal simulator.

Setup (a child process, fresh PostgreSQL database): a small province (``tests.factories.World``), one marriage
registration taken through its whole life by the services (received, transferred, examined, approved, its result
issued, paid, returned: about ten events), then copied — dossiers, components, issued results and events bulk-
inserted — until there are ``--messages`` events, and one ``portal`` outbox message per event written with
``outbox.enqueue_many`` (what the event hook writes).

Run (another child): ``motcua portal_sim`` as its own process, then the outbox drained in one process
(``outbox.drain``: batches of 200 messages — the packets built from the dossiers' state, one add call, one update
call for those the portal has, the progress rows 10 per call, one kept-alive connection — and the reporting facts of
the newly synced dossiers refreshed). Everything is checked afterwards: every message delivered, every dossier and
every progress row at the simulator once.

    .venv/bin/python bench/interconnect_outbox.py [--messages 20000] [--smoke]

Needs PostgreSQL on 127.0.0.1:5432 with trust auth for ``postgres``. Prints the figures; not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]  # this checkout's code (and tests.factories for the setup)
DB = os.environ.get("MOTCUA_BENCH_DB", "motcua_bench") + "_interconnect_outbox"
PG = ["-h", "127.0.0.1", "-U", "postgres"]


def environment(tmp: Path, portal: str) -> dict[str, str]:
    return dict(os.environ, DJANGO_SETTINGS_MODULE="motcua.config.settings", MOTCUA_DATA_DIR=str(tmp),
                DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}", SECRET_KEY=secrets.token_urlsafe(50),
                DEBUG="0", LOG_LEVEL="WARNING", MOTCUA_DVCQG_URL=portal, MOTCUA_STATS_REFRESH="follow",
                PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))


# --- the children (Django) ---------------------------------------------------------------------------------------


def setup(messages: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from tests.factories import World, receive, returned

    from motcua.dossiers.models import Dossier, DossierAgency, DossierComponent, Event, IssuedResult
    from motcua.integrations import outbox
    from motcua.integrations.models import OutboxMessage

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        world = World()
        model = returned(world, receive(world))
    OutboxMessage.objects.all().delete()  # the model's own messages: the copies are the load
    events = list(Event.objects.filter(dossier=model).order_by("seq"))
    components = list(DossierComponent.objects.filter(dossier=model))
    results = list(IssuedResult.objects.filter(dossier=model))
    count = max(1, messages // len(events))
    fields = [f.attname for f in Dossier._meta.concrete_fields if f.attname not in ("id", "code")]
    event_fields = [f.attname for f in Event._meta.concrete_fields if f.attname not in ("id", "dossier_id")]
    started = time.perf_counter()
    with transaction.atomic():
        copies = Dossier.objects.bulk_create(
            [Dossier(code=f"{model.code[:-4]}B{i:06d}", **{name: getattr(model, name) for name in fields})
             for i in range(count)], batch_size=1000)
        DossierAgency.objects.bulk_create([DossierAgency(dossier=d, agency_id=world.commune.pk) for d in copies],
                                          batch_size=2000)
        DossierComponent.objects.bulk_create(
            [DossierComponent(dossier=d, component_id=c.component_id, order=c.order, name=c.name,
                              required=c.required, originals=c.originals, copies=c.copies, received=c.received)
             for d in copies for c in components], batch_size=2000)
        IssuedResult.objects.bulk_create(
            [IssuedResult(dossier=d, attachment_id=r.attachment_id, result_id=r.result_id, name=r.name,
                          agency_id=r.agency_id, book=r.book, year=r.year, number=100_000 + i,
                          issued_at=r.issued_at, sha256=r.sha256, signed=r.signed,
                          verification_code=secrets.token_hex(6).upper())
             for i, d in enumerate(copies) for r in results], batch_size=2000)
        Event.objects.bulk_create(
            [Event(dossier=d, **{name: getattr(e, name) for name in event_fields}) for d in copies for e in events],
            batch_size=2000)
        outbox.enqueue_many([outbox.Message(system="portal", kind="event", key=f"{d.code}#{e.seq}",
                                            ordering=d.code, dossier_id=d.pk, payload={"seq": e.seq})
                             for d in copies for e in events])
    elapsed = time.perf_counter() - started
    from motcua.stats import services as stats

    for start in range(0, len(copies), 500):  # their reporting facts, as the statistics follower made them
        stats.refresh([d.pk for d in copies[start:start + 500]])
    if not os.environ.get("BENCH_NO_ANALYZE"):  # what autovacuum does after a bulk insert (the claim does not
        with connection.cursor() as cursor:  # depend on it: BENCH_NO_ANALYZE=1 shows the worker right after a burst)
            cursor.execute("ANALYZE")
    connection.close()
    return {"dossiers": count, "events_each": len(events), "messages": count * len(events), "setup": elapsed}


def deliver() -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from motcua.integrations import outbox
    from motcua.integrations.models import OutboxMessage, OutboxStatus
    from motcua.stats.models import DossierFact

    reverse("portal:verify_code", args=["WARM"])  # a long-running worker has its URLs loaded: not part of the figure
    profile = None
    if os.environ.get("BENCH_PROFILE"):  # where the time goes, on stderr
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as first:
        report = outbox.deliver_due(systems=["portal"])
    report.add(outbox.drain(systems=["portal"]))
    elapsed = time.perf_counter() - started
    if profile is not None:
        import pstats

        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    statuses = dict(OutboxMessage.objects.values_list("status").annotate(n=django.db.models.Count("id")))
    return {"delivered": report.delivered, "retried": report.retried, "failed": report.failed,
            "seconds": elapsed, "rate": report.delivered / elapsed if elapsed else 0.0,
            "first_batch_queries": len(first.captured_queries),
            "statuses": statuses, "pending": statuses.get(OutboxStatus.PENDING, 0),
            "synced_facts": DossierFact.objects.filter(synced=True).count()}


# --- the run ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child(env: dict[str, str], *args: str) -> Any:
    out = subprocess.run([sys.executable, __file__, "--child", *args], env=env, capture_output=True, text=True,
                         check=False, cwd=ROOT)  # noqa: S603 - this script
    if os.environ.get("BENCH_PROFILE"):
        print(out.stderr[-20000:], file=sys.stderr)
    if out.returncode:
        raise SystemExit(f"bench child {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_simulator(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "motcua.cli", "portal_sim", "--bind", f"127.0.0.1:{port}"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_sim/state", timeout=1).close()  # noqa: S310
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the portal simulator did not start")


def run(messages: int) -> list[tuple[str, str]]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(Path(tmp), f"http://127.0.0.1:{port}")
        subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=True)
        subprocess.run(["createdb", *PG, DB], check=True)
        simulator = None
        try:
            made = child(env, "setup", str(messages))
            simulator = start_simulator(env, port)
            result = child(env, "deliver")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sim/state", timeout=30) as answer:  # noqa: S310
                state = json.loads(answer.read())
        finally:
            if simulator is not None:
                simulator.terminate()
                simulator.wait(10)
            subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=False)
    rows = sum(len(v) for v in state["progress"].values())
    ok = (result["delivered"] == made["messages"] and result["pending"] == 0 and result["failed"] == 0
          and len(state["dossiers"]) == made["dossiers"] and rows == made["messages"]
          and state["counts"]["trung"] == 0)
    rate = result["rate"]
    return [
        ("setup", f"{made['dossiers']:,} dossiers × {made['events_each']} events = {made['messages']:,} portal "
                  f"messages (bulk insert {made['setup']:.1f} s)"),
        ("outbox → portal simulator (one process, batches of 200, keep-alive)",
         f"{rate:,.0f} messages/s ({result['delivered']:,} in {result['seconds']:.1f} s; "
         f"{result['first_batch_queries']} SQL statements for the first batch of 200)"),
        ("time for 20,000 messages (a province's day)", f"{20_000 / rate:.1f} s (target < 60 s)" if rate else "-"),
        ("simulator calls", json.dumps(state["counts"])),
        ("reporting facts marked synced", f"{result['synced_facts']:,}"),
        ("checked", f"{'OK' if ok else 'MISMATCH'}: {result['statuses']}, {len(state['dossiers']):,} dossiers and "
                    f"{rows:,} progress rows at the simulator"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000, help="event messages (default 20,000)")
    parser.add_argument("--smoke", action="store_true", help="about 500 messages")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(setup(int(args.child[1])) if args.child[0] == "setup" else deliver()))
        return
    rows = run(500 if args.smoke else args.messages)
    for label, figure in rows:
        print(f"{label}: {figure}", flush=True)
    if not rows[-1][1].startswith("OK"):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
