"""Benchmark: the citizen portal under concurrent load, served by gunicorn on PostgreSQL, driven by locust.

Three scenarios, each run for ``--seconds`` with ``--users`` concurrent simulated users that send their next
request as soon as the previous one is answered (closed loop, no think time), so the figures are the throughput
ceiling of the server at that concurrency and the latency seen at that ceiling:

1. ``procedure page``: ``GET /thu-tuc/<code>/`` over the demo procedures in force (anonymous);
2. ``wizard submit``: ``POST /nop-ho-so/ho-so-nhap/<draft>/review/`` with ``declare=1`` and the CSRF token, by
   signed-in citizens, each submitting its own drafts prepared beforehand (by ORM, as the wizard leaves them:
   details, delivery and one or two small PDF files as ``DraftFile``). A submit must answer 302 to
   ``/ho-so-cua-toi/<code>/``; anything else is a failure. After the run the number of dossiers created must
   equal the number of successful submits (no duplicate, none lost);
3. ``tracking page``: ``GET /tra-cuu/?ma=<code>`` over the dossiers created by scenario 2 (anonymous; the
   per-address limit raised so that the one load generator's address is not refused, its count still kept);
4. ``staff queues``: ``GET /workspace/?queue=<todo|due_soon|overdue|mine>`` by signed-in officers holding the
   dossiers created by scenario 2 (a reception membership at the point that received most of them);

and first ``floor``: ``GET /bench/floor`` (``bench/floor.py``: one row read by the ORM, a small JSON answer,
behind the whole middleware stack), the same server's floor; it is measured again for a third of the time just
before each other scenario, and each row is printed with its share of the floor measured just before it.

Setup: a fresh PostgreSQL database ``motcua_bench`` (dropped and re-created), ``migrate``, ``load_demo``, the
citizen accounts (verified e-mail, unusable password) with their Django sessions written directly in the
database (no password hashing in the measured path), the drafts, ``collectstatic`` into a temporary
``MOTCUA_DATA_DIR``; then gunicorn with production settings (``DEBUG`` off, a ``SECRET_KEY``,
``DB_CONN_MAX_AGE``) on 127.0.0.1, and locust headless (as a library, ``FastHttpUser``) in a child process on
the same machine: the load generator shares the cores with the server, as the figures must say.

    .venv/bin/python bench/portal.py [--users 16] [--seconds 20] [--workers 4] [--worker-class gthread]
                                     [--threads 2] [--scenarios floor,procedure,submit,track,queue] [--smoke]

``--smoke`` (make test): 4 users × 2 s per scenario, no collectstatic (WhiteNoise serves nothing the scenarios
ask for). ``MOTCUA_BENCH_DB`` names the database (default ``motcua_bench``, suffixed ``_portal``);
``MOTCUA_BENCH_TEMPLATE``, a database with the demo loaded, is copied instead of migrating.

Prints one row per scenario (requests, failures, req/s, p50/p95/p99 in ms); not a timed test. Needs PostgreSQL
on 127.0.0.1:5432 with trust auth for ``postgres``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]  # this checkout's code, not the installed one
BIN = Path(sys.executable).parent
DB = os.environ.get("MOTCUA_BENCH_DB", "motcua_bench") + "_portal"
PG = ["-h", "127.0.0.1", "-U", "postgres"]
SCENARIOS = {"floor": "one-row floor", "procedure": "procedure page", "submit": "wizard submit",
             "track": "tracking page", "queue": "staff queues"}
# the backend that loads a signed-in user (the first in settings, the sign-in lockout, only checks passwords)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
QUEUES = ["todo", "due_soon", "overdue", "mine"]
MIN_RATE = 80  # submits/s the drafts are sized for: far more than this machine reaches (users do not share drafts)


# --- setup, in this process (Django) ----------------------------------------------------------------------


def pdf(text: str) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def signed_in(user: Any) -> str:
    """A database session signed in as ``user`` with the model backend (the lockout backend loads no user)."""
    # imported here as in the other setup functions: Django is set up only once the database is chosen
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = MODEL_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def prepare(users: int, drafts_per_user: int, ready: bool, static: bool) -> dict[str, Any]:
    """Migrate, load the demo, create the citizens, their sessions and their drafts; return what locust needs."""
    import hashlib

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from motcua.accounts.models import Citizen
    from motcua.catalog.models import ProcedureVersion
    from motcua.core.errors import MotCuaError
    from motcua.demo import load_demo
    from motcua.portal import services
    from motcua.portal.models import Draft, DraftFile

    t0 = time.perf_counter()
    if not ready:
        call_command("migrate", verbosity=0)
        load_demo(history=False)  # the province and catalogue; the benchmark makes its own dossiers
    if static:
        call_command("collectstatic", "--noinput", verbosity=0)
    print(f"  migrate, load_demo, collectstatic: {time.perf_counter() - t0:.0f} s", flush=True)

    t0 = time.perf_counter()
    User = get_user_model()
    now = timezone.now()
    with transaction.atomic():
        people = []
        for i in range(users):
            user = User(username=f"bench-citizen-{i}")
            user.set_unusable_password()
            people.append(user)
        people = User.objects.bulk_create(people)
        Citizen.objects.bulk_create([
            Citizen(user=user, full_name=f"Nguyễn Văn Thử {i}", id_number=f"0220900{i:05d}",
                    phone=f"091{i:07d}", email=f"bench{i}@example.vn", address="Tổ 3, khu 5, phường Hà Tu",
                    email_verified_at=now)
            for i, user in enumerate(people)
        ])
    sessions = [signed_in(user) for user in people]

    # One template per online procedure whose wizard can be completed with one or two files: started by the
    # wizard's own service, the missing choices filled in, then checked by the review step's own rules.
    templates: list[tuple[ProcedureVersion, dict[str, Any], list[int]]] = []
    sample = people[0]
    for version in ProcedureVersion.objects.in_force().select_related("procedure").order_by("procedure__code"):
        try:
            draft = services.start(owner=sample, code=version.procedure.code)
        except MotCuaError:
            continue
        if not draft.data.get("receiving_agency"):
            points = services.receiving_points(draft.version)
            if not points:
                draft.delete()
                continue
            draft.data["receiving_agency"] = points[0].identifier_code
        components = services.components(draft)
        required = [i for i, c in enumerate(components, start=1) if c.required]
        orders = (required or [1])[:2] if components else []
        if len(required) > 2 or not orders:
            draft.delete()
            continue
        if len(orders) == 1 and len(components) > 1 and len(templates) % 2:
            orders.append(next(i for i in range(1, len(components) + 1) if i not in orders))  # some with two files
        draft.save()
        for order in orders:
            DraftFile.objects.create(draft=draft, order=order, original_name=f"thanh-phan-{order}.pdf", size=1,
                                     sha256="0" * 64)
        problems = [e for group in services.all_errors(draft).values() for e in group]
        draft.delete()
        if not problems:
            templates.append((draft.version, {**draft.data, "applicant": {}}, orders))
    if not templates:
        raise SystemExit("no demo procedure can be submitted online with the prepared drafts")

    contents = {order: pdf(f"thanh phan {order}") for order in (1, 2, 3, 4, 5, 6)}
    citizens = {c.user_id: c for c in Citizen.objects.filter(user__in=people)}
    plan: list[dict[str, Any]] = []
    with transaction.atomic():
        for u, (user, session) in enumerate(zip(people, sessions, strict=True)):
            citizen = citizens[user.pk]
            applicant = {"kind": "person", "name": citizen.full_name, "id_number": citizen.id_number,
                         "phone": citizen.phone, "email": citizen.email, "address": citizen.address}
            drafts, files = [], []
            for d in range(drafts_per_user):
                version, data, orders = templates[(u + d) % len(templates)]
                draft = Draft(owner=user, version=version, data={**data, "applicant": applicant})
                drafts.append(draft)
                for order in orders:
                    content = contents.get(order) or pdf(f"thanh phan {order}")
                    item = DraftFile(draft=draft, order=order, original_name=f"thanh-phan-{order}.pdf",
                                     size=len(content), sha256=hashlib.sha256(content).hexdigest())
                    item.file.save(item.original_name, ContentFile(content), save=False)
                    files.append(item)
            Draft.objects.bulk_create(drafts)
            DraftFile.objects.bulk_create(files)
            plan.append({"sessionid": session, "csrftoken": secrets.token_hex(16),  # a 32-character secret
                         "drafts": [str(draft.pk) for draft in drafts]})
    codes = list(ProcedureVersion.objects.in_force().order_by("procedure__code").values_list(
        "procedure__code", flat=True))
    print(f"  {users} citizens with sessions, {users * drafts_per_user} drafts ({len(templates)} procedures, "
          f"{sum(1 for _v, _d, o in templates if len(o) == 2)} of them with two files): "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    from django.db import connection

    connection.close()
    return {"users": plan, "procedures": codes, "user_ids": [u.pk for u in people]}


def check_submits(user_ids: list[int], successes: int) -> str:
    from django.db import connection

    from motcua.dossiers.models import Attachment, Dossier
    from motcua.portal.models import Draft

    dossiers = Dossier.objects.filter(applicant_user_id__in=user_ids)
    count = dossiers.count()
    submitted = Draft.objects.filter(owner_id__in=user_ids, dossier__isnull=False).count()
    files = Attachment.objects.filter(dossier__in=dossiers).count()
    expected = sum(d.files.count() for d in Draft.objects.filter(owner_id__in=user_ids, dossier__isnull=False))
    connection.close()
    verdict = "OK" if count == successes == submitted and files == expected else "MISMATCH"
    return (f"{verdict}: {successes} successful submits, {count} dossiers created, {submitted} drafts marked "
            f"submitted, {files} attachments for {expected} draft files")


def created_codes(user_ids: list[int]) -> list[str]:
    from django.db import connection

    from motcua.dossiers.models import Dossier

    codes = list(Dossier.objects.filter(applicant_user_id__in=user_ids).values_list("code", flat=True))
    connection.close()
    return codes


def staff_sessions(user_ids: list[int], count: int) -> list[str]:
    """Sessions of ``count`` officers holding the created dossiers: reception at the point that received most."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count

    from motcua.agencies.models import Membership
    from motcua.dossiers.models import Dossier

    held = (Dossier.objects.filter(applicant_user_id__in=user_ids).values("current_agency_id", "current_role")
            .annotate(n=Count("pk")).order_by("-n").first())
    if not held:
        return []
    sessions = []
    for i in range(count):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-officer-{i}", defaults={"is_staff": True})
        Membership.objects.get_or_create(user=user, agency_id=held["current_agency_id"], role=held["current_role"])
        sessions.append(signed_in(user))
    connection.close()
    return sessions


# --- the server --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(env: dict[str, str], port: int, args: argparse.Namespace, log: Path) -> subprocess.Popen[bytes]:
    command = [str(BIN / "gunicorn"), "floor_wsgi", "--pythonpath", str(ROOT / "bench"), "--bind", f"127.0.0.1:{port}",
               "--workers", str(args.workers), "--worker-class", args.worker_class, "--threads", str(args.threads),
               "--error-logfile", str(log), "--log-level", "warning", "--timeout", "60"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603 - our own command line
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 90 s")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def warm(port: int, codes: list[str], workers: int) -> None:
    """A few requests per worker so that imports and template compilation are not measured."""
    for code in codes[: 4 * workers]:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/thu-tuc/{code}/", timeout=10).read()  # noqa: S310


# --- the load, in a child process (locust patches the standard library with gevent) --------------------------


def locust_child(spec_path: str) -> None:
    from gevent import monkey

    monkey.patch_all()
    import gevent
    from locust import FastHttpUser, constant, task
    from locust.env import Environment
    from locust.exception import StopUser

    spec = json.loads(Path(spec_path).read_text())
    scenario, users = spec["scenario"], spec["users"]
    deadline = time.monotonic() + spec["seconds"]
    name = SCENARIOS[scenario]
    slots = list(range(users))
    counts = {"ok": 0, "exhausted": 0}

    class Citizen(FastHttpUser):
        host = spec["host"]
        wait_time = constant(0)

        def on_start(self) -> None:
            self.index = slots.pop()
            self.cursor = 0

        def _done(self) -> None:
            if time.monotonic() >= deadline:
                raise StopUser

        @task
        def act(self) -> None:
            self._done()
            if scenario == "floor":
                self.client.get("/bench/floor", name=name)
            elif scenario == "queue":
                sessions = spec["staff"]
                self.cursor += 1
                queue = QUEUES[(self.index + self.cursor) % len(QUEUES)]
                self.client.get(f"/workspace/?queue={queue}", name=name,
                                headers={"Cookie": f"sessionid={sessions[self.index % len(sessions)]}"})
            elif scenario == "procedure":
                codes = spec["procedures"]
                self.cursor += 1
                code = codes[(self.index * 7 + self.cursor) % len(codes)]
                self.client.get(f"/thu-tuc/{code}/", name=name)
            elif scenario == "track":
                codes = spec["codes"]
                self.cursor += 1
                code = codes[(self.index * 131 + self.cursor * 17) % len(codes)]
                self.client.get(f"/tra-cuu/?ma={code}", name=name)
            else:
                mine = spec["citizens"][self.index % len(spec["citizens"])]
                if self.cursor >= len(mine["drafts"]):
                    counts["exhausted"] += 1
                    raise StopUser
                draft = mine["drafts"][self.cursor]
                self.cursor += 1
                cookie = f"sessionid={mine['sessionid']}; csrftoken={mine['csrftoken']}"
                self.client.cookiejar.clear()  # no "messages" cookie carried from one submit to the next
                with self.client.post(f"/nop-ho-so/ho-so-nhap/{draft}/review/", name=name,
                                      data={"declare": "1", "csrfmiddlewaretoken": mine["csrftoken"]},
                                      headers={"Cookie": cookie}, allow_redirects=False,
                                      catch_response=True) as response:
                    location = response.headers.get("Location", "") if response.headers else ""
                    if response.status_code == 302 and location.startswith("/ho-so-cua-toi/"):
                        counts["ok"] += 1
                        response.success()
                    else:
                        response.failure(f"{response.status_code} {location}")

    env = Environment(user_classes=[Citizen])
    runner = env.create_local_runner()
    started = time.monotonic()
    runner.start(users, spawn_rate=users)
    while runner.user_count or time.monotonic() < deadline:  # users stop themselves after the deadline
        gevent.sleep(0.2)
        if time.monotonic() > deadline + 60:
            break
    elapsed = time.monotonic() - started
    runner.quit()
    total = env.stats.total
    errors = {f"{e.method} {e.error}": e.occurrences for e in env.stats.errors.values()}
    print(json.dumps({
        "requests": total.num_requests, "failures": total.num_failures, "seconds": elapsed,
        "rps": total.num_requests / elapsed if elapsed else 0.0,
        "p50": total.get_response_time_percentile(0.5), "p95": total.get_response_time_percentile(0.95),
        "p99": total.get_response_time_percentile(0.99), "ok": counts["ok"], "exhausted": counts["exhausted"],
        "errors": dict(list(errors.items())[:5]),
    }))


def run_locust(spec: dict[str, Any], tmp: Path) -> dict[str, Any]:
    path = tmp / f"locust-{spec['scenario']}.json"
    path.write_text(json.dumps(spec))
    out = subprocess.run([sys.executable, __file__, "--locust-child", str(path)], capture_output=True, text=True,
                         check=False, cwd=ROOT)  # noqa: S603 - this script
    if out.returncode:
        raise SystemExit(f"locust failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# --- main ----------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=16, help="concurrent simulated users (default 16)")
    parser.add_argument("--seconds", type=int, default=20, help="duration of each scenario (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"],
                        help="default gthread: keeps connections alive; as fast as 4 sync workers or faster here")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker with gthread (default 2)")
    parser.add_argument("--scenarios", default="floor,procedure,submit,track,queue")
    parser.add_argument("--smoke", action="store_true", help="a few seconds per scenario, for make test")
    parser.add_argument("--drafts-per-user", type=int, default=0, help="default: enough for 80 submits/s")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database and the temporary data directory (to profile afterwards)")
    parser.add_argument("--locust-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.locust_child:
        locust_child(args.locust_child)
        return
    scenarios = [s for s in args.scenarios.split(",") if s]
    if unknown := set(scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if {"track", "queue"} & set(scenarios) and "submit" not in scenarios:
        parser.error("the tracking and queue scenarios need the dossiers of the submit scenario")
    if args.smoke:
        args.users, args.seconds, args.drafts_per_user = 4, 2, 10
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False).returncode:
        print("PostgreSQL is not running on 127.0.0.1:5432: bench/portal.py skipped")
        return
    drafts = args.drafts_per_user or math.ceil(MIN_RATE * args.seconds / args.users) + 5

    tmp = Path(tempfile.mkdtemp(prefix="motcua-bench-portal-"))
    (tmp / "data" / "static").mkdir(parents=True)  # the smoke size collects nothing; WhiteNoise warns without it
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="motcua.config.settings", MOTCUA_DATA_DIR=str(tmp / "data"),
               DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}", SECRET_KEY=secrets.token_urlsafe(50),
               ALLOWED_HOSTS="127.0.0.1,localhost", DEBUG="0", DB_CONN_MAX_AGE="600", LOG_LEVEL="WARNING",
               MOTCUA_TRACK_LIMIT_PER_MINUTE="100000000",  # one load generator, one address: counted, not refused
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")]))
    for key in ("MEDIA_ROOT", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "MOTCUA_DEMO"):
        env.pop(key, None)
        os.environ.pop(key, None)
    os.environ.update(env)

    print(f"citizen portal: gunicorn {args.workers} × {args.worker_class}"
          f"{f' × {args.threads} threads' if args.worker_class == 'gthread' else ''}, PostgreSQL, locust "
          f"{args.users} users × {args.seconds} s per scenario, {os.cpu_count()} cores (load average "
          f"{os.getloadavg()[0]:.1f} at start)", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that ``finally`` stops gunicorn
    template = os.environ.get("MOTCUA_BENCH_TEMPLATE", "")
    subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=True)
    subprocess.run(["createdb", *PG, *(["-T", template] if template else []), DB], check=True)
    server = None
    rows = []
    try:
        data = prepare(args.users, drafts, ready=bool(template), static=not args.smoke)
        port = free_port()
        server = start_gunicorn(env, port, args, tmp / "gunicorn.log")
        warm(port, data["procedures"], args.workers)
        base = {"host": f"http://127.0.0.1:{port}", "users": args.users, "seconds": args.seconds,
                "procedures": data["procedures"], "citizens": data["users"]}
        for scenario in scenarios:
            spec = dict(base, scenario=scenario)
            if scenario == "track":
                spec["codes"] = created_codes(data["user_ids"])
                if not spec["codes"]:
                    print("  tracking page: no dossier was created, skipped")
                    continue
            if scenario == "queue":
                spec["staff"] = staff_sessions(data["user_ids"], min(args.users, 8))
                if not spec["staff"]:
                    print("  staff queues: no dossier was created, skipped")
                    continue
            print(f"  {SCENARIOS[scenario]}: running…", flush=True)
            if scenario != "floor" and "floor" in scenarios:
                # the floor again just before: on a shared machine the load moves within a minute
                adjacent = run_locust(dict(base, scenario="floor", seconds=max(2, args.seconds // 3)), tmp)
            result = run_locust(spec, tmp)
            if scenario != "floor" and "floor" in scenarios:
                result["floor_rps"] = adjacent["rps"]
            rows.append((SCENARIOS[scenario], result))
            if result["errors"]:
                print(f"    errors: {result['errors']}")
            if scenario == "submit":
                if result["exhausted"]:
                    print(f"    {result['exhausted']} users ran out of drafts before the end: use --drafts-per-user")
                print(f"    check: {check_submits(data['user_ids'], result['ok'])}")
    finally:
        stop(server)
        if args.keep:
            print(f"  kept: database {DB}, MOTCUA_DATA_DIR={tmp / 'data'}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=False)
    print()
    floor = next((r["rps"] for label, r in rows if label == SCENARIOS["floor"]), 0.0)
    print(f"{'scenario':<16} {'requests':>9} {'failures':>9} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'of floor':>9} {'floor just before':>18}")
    for label, r in rows:
        near = r.get("floor_rps") or floor
        share = f"{100 * r['rps'] / near:8.1f}%" if near else "        —"
        print(f"{label:<16} {r['requests']:>9} {r['failures']:>9} {r['rps']:>8.1f} {r['p50']:>7.0f} "
              f"{r['p95']:>7.0f} {r['p99']:>7.0f} {share} {near:>12.1f} req/s")
    print(f"(load average {os.getloadavg()[0]:.1f} at the end; DESIGN.md's floor for a one-row JSON lookup: "
          "≈ 1,150 req/s)")
    if any(r["failures"] for _label, r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
