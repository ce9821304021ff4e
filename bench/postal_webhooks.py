"""Benchmark (part of ``bench/postal.py``): carrier webhook updates applied per second.

1. ``HTTP``: signed ``POST /postal/carrier/webhook`` through gunicorn (``--workers``, gthread) on a fresh PostgreSQL
   database, sent by an aiohttp client in this process (``--concurrency`` connections; each shipment's updates in
   order, shipments concurrently; one update in ten sent twice): the whole path — signature, one indexed lookup
   of the shipment under its lock, the duplicate check, the update's row, the dossier's ``shipment`` event and
   head, the shipment's row;
2. ``service``: the same updates for other shipments through ``postal.services.shipments.receive_webhook`` in one
   process (no HTTP): the apply path's own cost;
3. batches (``{"Items": [...]}``, ``apply_updates``: one transaction per batch): through gunicorn, 50 and 200
   updates per POST (each step of every shipment batched, a step after the other), and 200 per call through
   ``postal.services.shipments.receive`` in one process.

Setup (a child process): ``migrate``, a small province (``tests.factories.World``), one dossier received through
the services, copied ``size`` × 5 times (bulk insert), and one accepted shipment with an S10 waybill for each.
Every update is checked afterwards: applied + duplicates = sent, nothing rejected.

    .venv/bin/python bench/postal_webhooks.py [--size 2000] [--workers 4] [--concurrency 32] [--smoke]

``run(size, smoke=…)`` returns the rows (label, figure) for ``bench/postal.py``. Needs PostgreSQL on
127.0.0.1:5432 with trust auth for ``postgres``; the load generator shares the cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]  # this checkout's code (and tests.factories for the setup)
BIN = Path(sys.executable).parent
DB = os.environ.get("MOTCUA_BENCH_DB", "motcua_bench") + "_postal_webhooks"
PG = ["-h", "127.0.0.1", "-U", "postgres"]
SECRET = "bench-webhook-secret"  # noqa: S105 - the benchmark's own
CODES = ["01", "02", "03", "04"]  # accepted → out for delivery: updates that move the shipment, no return
VN = timezone(timedelta(hours=7))


def environment(tmp: Path) -> dict[str, str]:
    return dict(os.environ, DJANGO_SETTINGS_MODULE="motcua.config.settings", MOTCUA_DATA_DIR=str(tmp),
                DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}", SECRET_KEY=secrets.token_urlsafe(50),
                ALLOWED_HOSTS="127.0.0.1,localhost", DEBUG="0", DB_CONN_MAX_AGE="600", LOG_LEVEL="WARNING",
                MOTCUA_CARRIER_WEBHOOK_SECRET=SECRET, MOTCUA_CARRIER_WEBHOOK_WINDOW="3600",
                PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))


# --- the child: setup and the service-only run (Django) ---------------------------------------------------------


def setup(count: int) -> list[str]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone as dj_timezone
    from tests.factories import World, receive

    from motcua.dossiers.models import Dossier, DossierAgency
    from motcua.postal import s10
    from motcua.postal.models import Shipment, ShipmentStatus

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        world = World()
        model = receive(world, delivery="post", delivery_address="Số 5, tổ 3, khu 5, phường Hà Tu")
    now = dj_timezone.now()
    fields = [f.attname for f in Dossier._meta.concrete_fields if f.attname not in ("id", "code")]
    waybills = []
    with transaction.atomic():
        copies = Dossier.objects.bulk_create(
            [Dossier(code=f"{model.code[:-4]}B{i:06d}", **{name: getattr(model, name) for name in fields})
             for i in range(count)], batch_size=1000)
        DossierAgency.objects.bulk_create([DossierAgency(dossier=d, agency_id=world.commune.pk) for d in copies],
                                          batch_size=2000)
        shipments = []
        for i, dossier in enumerate(copies):
            waybill = s10.make("EB", 10_000_000 + i)
            waybills.append(waybill)
            shipments.append(Shipment(dossier=dossier, order_number=dossier.code, waybill=waybill,
                                      status=ShipmentStatus.ACCEPTED, receiver={"name": "x"}, created_at=now,
                                      accepted_at=now))
        Shipment.objects.bulk_create(shipments, batch_size=2000)
    connection.close()
    return waybills


def service_run(waybills: list[str]) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from motcua.postal.services.shipments import receive_webhook

    bodies = [signed(body) for body in updates(waybills)]
    receive_webhook(bodies[0][0], timestamp=bodies[0][1], signature=bodies[0][2])  # warm: imports, first query
    with CaptureQueriesContext(connection) as duplicate:  # bodies[1] repeats bodies[0]
        receive_webhook(bodies[1][0], timestamp=bodies[1][1], signature=bodies[1][2])
    with CaptureQueriesContext(connection) as new:
        receive_webhook(bodies[2][0], timestamp=bodies[2][1], signature=bodies[2][2])
    statements = (f"{len(new.captured_queries)} SQL statements per new update, "
                  f"{len(duplicate.captured_queries)} per duplicate")
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    for body, timestamp, signature in bodies[3:]:
        outcome = receive_webhook(body, timestamp=timestamp, signature=signature).outcome
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    elapsed = time.perf_counter() - started
    connection.close()
    return {"rate": (len(bodies) - 3) / elapsed, "outcomes": outcomes, "statements": statements}


def service_batches(waybills: list[str], size: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from motcua.postal.services.shipments import receive

    bodies = [signed({"CustomerCode": "BENCH", "Items": chunk}) for chunk in batches(updates(waybills), size)]
    with CaptureQueriesContext(connection) as first:
        answer = receive(bodies[0][0], timestamp=bodies[0][1], signature=bodies[0][2])
    statements = (f"{len(first.captured_queries)} SQL statements for the first batch of "
                  f"{len(answer.body['items'])} updates")
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    count = 0
    for body, timestamp, signature in bodies[1:]:
        for outcome, n in receive(body, timestamp=timestamp, signature=signature).body["counts"].items():
            outcomes[outcome] = outcomes.get(outcome, 0) + n
            count += n
    elapsed = time.perf_counter() - started
    connection.close()
    return {"rate": count / elapsed, "outcomes": outcomes, "statements": statements, "verify": verify()}


def verify() -> dict[str, int]:
    import django

    django.setup()
    from django.db.models import Count

    from motcua.postal.models import CarrierUpdate

    return {row["outcome"]: row["n"] for row in CarrierUpdate.objects.values("outcome").annotate(n=Count("pk"))}


# --- updates and signatures (no Django: the load generator) ----------------------------------------------------


def updates(waybills: list[str]) -> list[dict[str, Any]]:
    """Four updates per shipment in order, and every tenth one again (a duplicate)."""
    start = datetime(2026, 11, 20, 8, 0, tzinfo=VN)
    out = []
    for n, waybill in enumerate(waybills):
        for i, code in enumerate(CODES):
            body = {"CustomerCode": "BENCH", "OrderNumber": "", "ItemCode": waybill, "EventId": f"{waybill}-{i}",
                    "StatusCode": code, "StatusMessage": "", "Time": (start + timedelta(minutes=i)).isoformat()}
            out.append(body)
            if (n * len(CODES) + i) % 10 == 0:
                out.append(body)
    return out


def step(body: dict[str, Any]) -> int:
    return int(str(body["EventId"]).rsplit("-", 1)[1])


def batches(bodies: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """The updates as a carrier batches them: the ones due at once (one step of every shipment), ``size`` per
    webhook; a step's batches all go before the next step's (so no update arrives after a newer one: the check
    counts applied + duplicates)."""
    out = []
    for index in range(len(CODES)):
        due = [body for body in bodies if step(body) == index]
        out += [due[start:start + size] for start in range(0, len(due), size)]
    return out


def signed(body: dict[str, Any]) -> tuple[bytes, str, str]:
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return raw, timestamp, f"sha256={mac}"


async def floor(url: str, seconds: float, concurrency: int) -> float:
    """``GET /healthz`` (one query behind the whole middleware stack) for ``seconds``: this machine's floor now."""
    import aiohttp

    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            async with session.get(url) as response:
                await response.read()
                done += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


async def send_all(url: str, waybills: list[str], concurrency: int) -> dict[str, Any]:
    import aiohttp

    per_shipment: dict[str, list[tuple[bytes, str, str]]] = {}
    for body in updates(waybills):
        per_shipment.setdefault(body["ItemCode"], []).append(signed(body))
    queue = list(per_shipment.values())
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker(session: aiohttp.ClientSession) -> None:
        while queue:
            for raw, timestamp, signature in queue.pop():
                t0 = time.perf_counter()
                async with session.post(url, data=raw, headers={
                        "Content-Type": "application/json", "X-Timestamp": timestamp,
                        "X-Signature": signature}) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                latencies.append(time.perf_counter() - t0)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {"rate": len(latencies) / elapsed, "sent": len(latencies), "statuses": statuses,
            "p50": pct(0.5), "p99": pct(0.99)}


async def send_batches(url: str, waybills: list[str], size: int, concurrency: int) -> dict[str, Any]:
    """The updates in signed batches of ``size`` (``{"Items": […]}``), one step after another, ``concurrency``
    batches at a time."""
    import aiohttp

    steps: list[list[tuple[bytes, str, str]]] = [[] for _ in CODES]
    for chunk in batches(updates(waybills), size):
        steps[step(chunk[0])].append(signed({"CustomerCode": "BENCH", "Items": chunk}))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    outcomes: dict[str, int] = {}

    async def worker(session: aiohttp.ClientSession, queue: list[tuple[bytes, str, str]]) -> None:
        while queue:
            raw, timestamp, signature = queue.pop()
            t0 = time.perf_counter()
            async with session.post(url, data=raw, headers={
                    "Content-Type": "application/json", "X-Timestamp": timestamp,
                    "X-Signature": signature}) as response:
                answer = await response.json()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            latencies.append(time.perf_counter() - t0)
            for outcome, n in answer.get("counts", {}).items():
                outcomes[outcome] = outcomes.get(outcome, 0) + n

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        for queue in steps:
            await asyncio.gather(*(worker(session, queue) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    sent = sum(outcomes.values())
    return {"rate": sent / elapsed, "sent": sent, "posts": len(latencies), "statuses": statuses,
            "outcomes": outcomes, "p50": latencies[len(latencies) // 2] * 1000,
            "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000}


# --- the run --------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child(env: dict[str, str], *args: str) -> Any:
    out = subprocess.run([sys.executable, __file__, "--child", *args], env=env, capture_output=True, text=True,
                         check=False, cwd=ROOT)  # noqa: S603 - this script
    if out.returncode:
        raise SystemExit(f"bench child {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [str(BIN / "gunicorn"), "motcua.config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
               str(workers), "--worker-class", "gthread", "--threads", "2", "--error-logfile", str(log),
               "--log-level", "warning", "--timeout", "60"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603 - our own command line
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 90 s")


def run(size: int, *, smoke: bool, workers: int = 4, concurrency: int = 32) -> list[tuple[str, str]]:
    """``size`` shipments for each of the five rows (one per POST, the service alone, batches of 50 and of 200 by
    HTTP, batches in the service), four updates each (+10 % duplicates)."""
    if smoke:
        size, workers, concurrency = min(size, 40), 2, 8
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(Path(tmp))
        subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=True)
        subprocess.run(["createdb", *PG, DB], check=True)
        gunicorn = None
        try:
            waybills = child(env, "setup", str(5 * size))
            http_part, service_part, batch_part = waybills[:size], waybills[size:2 * size], waybills[2 * size:]
            small_part, large_part, service_batch_part = (batch_part[:size], batch_part[size:2 * size],
                                                          batch_part[2 * size:])
            port = free_port()
            gunicorn = start_gunicorn(env, port, workers, Path(tmp) / "gunicorn.log")
            url = f"http://127.0.0.1:{port}/postal/carrier/webhook"
            asyncio.run(send_all(url, http_part[:min(20, size // 4)], 4))  # warm the workers
            floor_rate = asyncio.run(floor(f"http://127.0.0.1:{port}/healthz", 2 if smoke else 10, concurrency))
            http = asyncio.run(send_all(url, http_part[min(20, size // 4):], concurrency))
            small = asyncio.run(send_batches(url, small_part, 50, min(concurrency, 2 * workers)))
            large = asyncio.run(send_batches(url, large_part, 200, min(concurrency, 2 * workers)))
            gunicorn.terminate()
            gunicorn.wait(20)
            gunicorn = None
            service = child(env, "service", json.dumps(service_part))
            service_batch = child(env, "service_batches", json.dumps(service_batch_part), "200")
            outcomes = service_batch["verify"]  # every part's updates, counted by the last child
        finally:
            if gunicorn is not None:
                gunicorn.terminate()
                gunicorn.wait(20)
            subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=False)
    warm = min(20, size // 4)
    sent = sum(len(updates(part)) for part in (http_part[:warm], http_part[warm:], service_part, small_part,
                                                large_part, service_batch_part))
    ok = outcomes.get("rejected", 0) == 0 and outcomes.get("applied", 0) + outcomes.get("duplicate", 0) == sent
    return [
        (f"webhook updates via HTTP (gunicorn {workers} workers × 2 threads, PostgreSQL, {concurrency} connections)",
         f"{http['rate']:,.0f}/s (p50 {http['p50']:.1f} ms, p99 {http['p99']:.1f} ms; {http['sent']:,} updates, "
         f"answers {http['statuses']})"),
        ("floor: GET /healthz (one query) on the same server, measured just before",
         f"{floor_rate:,.0f}/s (the webhook rate is {http['rate'] / floor_rate:.0%} of it)"),
        ("webhook updates via the service alone (one process)",
         f"{service['rate']:,.0f}/s ({service['statements']})"),
        (f"batched webhooks via HTTP, 50 updates per POST (same server, {min(concurrency, 2 * workers)} at a time)",
         f"{small['rate']:,.0f} updates/s ({small['rate'] / http['rate']:.1f}× one per POST; p50 "
         f"{small['p50']:.0f} ms, p99 {small['p99']:.0f} ms per POST; {small['sent']:,} updates in {small['posts']} "
         f"POSTs, answers {small['statuses']})"),
        (f"batched webhooks via HTTP, 200 updates per POST (same server, {min(concurrency, 2 * workers)} at a time)",
         f"{large['rate']:,.0f} updates/s ({large['rate'] / http['rate']:.1f}× one per POST; p50 "
         f"{large['p50']:.0f} ms, p99 {large['p99']:.0f} ms per POST; {large['sent']:,} updates in {large['posts']} "
         f"POSTs, answers {large['statuses']})"),
        ("batches of 200 via the service alone (one process: receive → apply_updates)",
         f"{service_batch['rate']:,.0f} updates/s ({service_batch['rate'] / service['rate']:.1f}× one by one; "
         f"{service_batch['statements']})"),
        ("webhook updates checked", f"{'OK' if ok else 'MISMATCH'}: {outcomes} for {sent:,} sent"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000, help="shipments per part (default 2,000)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--smoke", action="store_true", help="40 shipments, 2 workers, 8 connections")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what = args.child[0]
        if what == "setup":
            print(json.dumps(setup(int(args.child[1]))))
        elif what == "service":
            print(json.dumps(service_run(json.loads(args.child[1]))))
        elif what == "service_batches":
            print(json.dumps(service_batches(json.loads(args.child[1]), int(args.child[2]))))
        else:
            print(json.dumps(verify()))
        return
    for label, figure in run(args.size, smoke=args.smoke, workers=args.workers, concurrency=args.concurrency):
        print(f"{label}: {figure}", flush=True)


if __name__ == "__main__":
    main()
