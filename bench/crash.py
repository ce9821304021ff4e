"""Crash test: ``kill -9`` of server processes during concurrent, idempotent dossier creations, then count.

A gunicorn server (production settings) receives ``POST /api/v1/dossiers`` from ``--clients`` threads, each
creating its share of ``--dossiers`` logical dossiers with its own ``Idempotency-Key`` and retrying the same key,
as a well-behaved client does, whenever the answer is lost (connection reset, 5xx). Meanwhile a killer sends
SIGKILL to a random worker every ``--interval`` seconds and, every ``--master-every`` kills, to the whole server
(master and workers), which is then started again. Some successful requests are also sent a second time on purpose.

Afterwards, from the database:
- lost: keys for which a client got no dossier, or whose dossier is not in the database;
- duplicated: keys answered with two different codes, or dossiers beyond one per key;
- gaps: per agency and day, the running numbers are not exactly 1..n (codes are gap-free by law);
- the event log: ``verify_audit`` (hash chains, projections, counters) intact.
Exit status 1 if any of these is not zero, so the smoke size in ``make test`` guards the property.

    .venv/bin/python bench/crash.py [--dossiers 1400] [--clients 16] [--workers 2] [--threads 4]
                                    [--interval 0.5] [--master-every 5] [--sqlite] [--smoke] [--keep]

PostgreSQL by default (a fresh ``motcua_crash`` database on 127.0.0.1:5432, trust auth); ``--sqlite`` uses an
embedded file in a temporary directory instead. Not a timed test: it prints figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOTCUA = [sys.executable, "-m", "motcua.cli"]
DB = os.environ.get("MOTCUA_BENCH_DB", "motcua") + "_crash"
# a database with the demo loaded (make bench-smoke), copied instead of migrating and loading the demo
TEMPLATE = os.environ.get("MOTCUA_BENCH_TEMPLATE", "")
PG = ["-h", "127.0.0.1", "-U", "postgres"]
PROCEDURE = "3.000347"  # Đổi giấy phép lái xe, received at the provincial center (demo catalogue)
BODY = {"procedure": PROCEDURE, "channel": "counter",
        "applicant": {"name": "Nguyễn Văn Thử", "id_number": "022090001234", "phone": "0912345678",
                      "address": "Tổ 3, khu 5, phường Hà Tu"},
        "components": [{"order": order, "originals": 1} for order in range(1, 5)]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """gunicorn in its own process group, restartable after its master was killed."""

    def __init__(self, env: dict[str, str], port: int, workers: int, threads: int) -> None:
        self.env, self.port, self.workers, self.threads = env, port, workers, threads
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "motcua.config.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--worker-class", "gthread", "--threads", str(self.threads),
             "--timeout", "30", "--log-level", "critical", "--no-control-socket"],
            env=self.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def workers_pids(self) -> list[int]:
        assert self.process is not None
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
        return [int(pid) for pid in found.stdout.split()]

    def kill_all(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def post(base: str, token: str, key: str) -> tuple[int, str]:
    """One attempt: (status, code); status 0 when the answer was lost."""
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        f"{base}/api/v1/dossiers", data=json.dumps(BODY).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())["code"]
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (OSError, ValueError, http.client.HTTPException):  # reset, cut short, unreadable: the answer is lost
        return 0, ""


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="motcua-crash-"))
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "REDIS_URL"}}
    env.update(MOTCUA_DATA_DIR=str(workdir), SECRET_KEY=secrets.token_urlsafe(40), DB_CONN_MAX_AGE="60",
               PYTHONPATH=str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", ""))
    if args.sqlite:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'motcua.sqlite3'}"
        where = "SQLite (WAL)"
    else:
        subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=True)
        subprocess.run(["createdb", *PG, *(["-T", TEMPLATE] if TEMPLATE else []), DB], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
        where = "PostgreSQL"
    t0 = time.perf_counter()
    setup = (["migrate", "--noinput", "-v", "0"], ["load_demo", "--without-history"])
    for step in ([] if TEMPLATE and not args.sqlite else setup):
        subprocess.run([*MOTCUA, *step], env=env, check=True, stdout=subprocess.DEVNULL, timeout=600)
    token = subprocess.run([*MOTCUA, "create_token", "tiepnhan"], env=env, check=True, capture_output=True,
                           text=True).stdout.strip()
    print(f"  setup on {where}: {time.perf_counter() - t0:.0f} s", flush=True)

    server = Server(env, free_port(), args.workers, args.threads)
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    answers: dict[str, set[str]] = {}
    attempts = Counter[str]()
    lock = threading.Lock()
    stop = threading.Event()
    kills = Counter[str]()
    keys = [f"crash-{i:05d}-{secrets.token_hex(4)}" for i in range(args.dossiers)]

    def client(mine: list[str]) -> None:
        for key in mine:
            tries = 0
            while True:
                tries += 1
                status, code = post(base, token, key)
                with lock:
                    attempts["status %s" % (status or "lost")] += 1
                if status in (200, 201):
                    with lock:
                        answers.setdefault(key, set()).add(code)
                    if random.random() < 0.1:  # a retry of a request that had succeeded
                        status, code = post(base, token, key)
                        if status in (200, 201):
                            with lock:
                                answers[key].add(code)
                    break
                if status and status < 500 and status != 429:
                    with lock:
                        attempts[f"refused {status}"] += 1
                    break
                if tries > 200:
                    break
                time.sleep(0.05 + random.random() * 0.1)

    def killer() -> None:
        while not stop.wait(args.interval):
            if args.master_every and (sum(kills.values()) + 1) % args.master_every == 0:
                server.kill_all()
                kills["whole server"] += 1
                server.start()
                server.restarts += 1
                continue
            pids = server.workers_pids()
            if pids:
                with_pid = random.choice(pids)
                try:
                    os.kill(with_pid, signal.SIGKILL)
                    kills["worker"] += 1
                except ProcessLookupError:
                    pass

    threads = [threading.Thread(target=client, args=(keys[i::args.clients],)) for i in range(args.clients)]
    murderer = threading.Thread(target=killer)
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    murderer.start()
    for thread in threads:
        thread.join()
    stop.set()
    murderer.join()
    elapsed = time.perf_counter() - t0
    server.kill_all()

    findings = count(env, keys, answers)
    audit = subprocess.run([*MOTCUA, "verify_audit", "--quiet"], env=env, capture_output=True, text=True)
    print(f"  {args.dossiers} dossiers by {args.clients} clients in {elapsed:.1f} s "
          f"({args.dossiers / elapsed:.1f}/s) against {args.workers} workers × {args.threads} threads")
    print(f"  kill -9: {kills['worker']} workers, {kills['whole server']} whole servers (restarted)")
    print("  answers: " + ", ".join(f"{name} {n}" for name, n in sorted(attempts.items())))
    print(f"  lost {findings['lost']} · duplicated {findings['duplicated']} · gaps {findings['gaps']} · "
          f"dossiers in the database {findings['dossiers']} · verify_audit "
          + ("intact" if audit.returncode == 0 else "FAILED\n" + audit.stdout))
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.sqlite:
            subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=False)
    bad = findings["lost"] or findings["duplicated"] or findings["gaps"] or audit.returncode
    return 1 if bad else 0


def count(env: dict[str, str], keys: list[str], answers: dict[str, set[str]]) -> dict[str, int]:
    """Lost, duplicated and gap figures, read from the database by a Django process of its own."""
    script = (
        "import json, sys\n"
        "from collections import defaultdict\n"
        "from motcua.dossiers.models import Dossier, DossierCounter, IdempotencyKey\n"
        "keys = json.load(sys.stdin)\n"
        "stored = dict(IdempotencyKey.objects.filter(key__in=keys).values_list('key', 'dossier__code'))\n"
        "numbers = defaultdict(list)\n"
        "for code in Dossier.objects.values_list('code', flat=True):\n"
        "    prefix, number = code.rsplit('-', 1)\n"
        "    numbers[prefix].append(int(number))\n"
        "gaps = sum(sorted(n) != list(range(1, len(n) + 1)) for n in numbers.values())\n"
        "counters = {f'{c.agency.identifier_code}-{c.day:%y%m%d}': c.last "
        "for c in DossierCounter.objects.select_related('agency')}\n"
        "gaps += sum(counters.get(prefix) != len(n) for prefix, n in numbers.items())\n"
        "print(json.dumps({'stored': stored, 'gaps': gaps, 'dossiers': Dossier.objects.count()}))\n"
    )
    result = subprocess.run([*MOTCUA, "shell", "-c", script], env=env, input=json.dumps(keys),
                            capture_output=True, text=True, check=True)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    stored: dict[str, str] = data["stored"]
    lost = sum(1 for key in keys if key not in answers or key not in stored)
    duplicated = sum(1 for key, codes in answers.items() if len(codes) > 1 or stored.get(key) not in codes)
    duplicated += max(0, data["dossiers"] - len(stored))
    return {"lost": lost, "duplicated": duplicated, "gaps": data["gaps"], "dossiers": data["dossiers"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between two kills")
    parser.add_argument("--master-every", type=int, default=5, help="every Nth kill takes the whole server")
    parser.add_argument("--sqlite", action="store_true", help="the embedded SQLite instead of PostgreSQL")
    parser.add_argument("--smoke", action="store_true", help="a few seconds' run for make test (40 dossiers)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary directory")
    args = parser.parse_args()
    if args.smoke:
        args.dossiers, args.clients, args.interval, args.master_every = 40, 6, 0.8, 6
    print(f"bench/crash.py: kill -9 during {args.dossiers} concurrent idempotent creations", flush=True)
    sys.exit(run(args))


if __name__ == "__main__":
    main()
