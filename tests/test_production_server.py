"""`make run` serves what production serves: `motcua serve` (gunicorn, several workers, DEBUG off, WhiteNoise)
beside the task worker, on the embedded SQLite — and concurrent writers wait for each other instead of failing.

One real server in a child process, over real HTTP, on a fresh SQLite file prepared exactly as `make run` does
(migrate, load_demo, collectstatic). Runs once, in the SQLite pass of `make test`.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded SQLite path; runs in one pass")

MOTCUA = [sys.executable, "-m", "motcua.cli"]
PROCEDURE = "3.000347"  # Đổi giấy phép lái xe, received at the provincial center (demo catalogue)
WRITERS = 24


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(url: str, body: dict[str, Any] | None = None, token: str = "", key: str = "") -> tuple[int, Any, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - our own loopback server
    try:
        with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("motcua-serve")
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update(MOTCUA_DATA_DIR=str(data_dir), SECRET_KEY=secrets.token_urlsafe(40), MOTCUA_DEMO="1",
               DATABASE_URL=f"sqlite:///{data_dir / 'motcua.sqlite3'}",
               MOTCUA_PKI_URL=f"http://127.0.0.1:{free_port()}",  # the demo PKI's server, started by serve
               MOTCUA_POPULATION_URL=f"http://127.0.0.1:{free_port()}",  # the population simulator
               MOTCUA_DVCQG_URL=f"http://127.0.0.1:{free_port()}",  # the national portal's simulator, too
               MOTCUA_ZALO_API_URL=f"http://127.0.0.1:{free_port()}",  # and Zalo's
               # and the carrier's: a `make run` on the same machine holds the default ports (8010-8050)
               MOTCUA_CARRIER_URL=f"http://127.0.0.1:{free_port()}")
    for step in (["migrate", "--noinput", "-v", "0"], ["load_demo"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([*MOTCUA, *step], env=env, check=True, capture_output=True, timeout=300)
    token = subprocess.run([*MOTCUA, "create_token", "tiepnhan"], env=env, check=True, capture_output=True,
                           text=True, timeout=60).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [*MOTCUA, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "3", "--threads", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail(f"the server did not answer: {server.stdout.read() if server.stdout else ''}")
    try:
        yield {"base": base, "token": token, "env": env, "data_dir": data_dir, "server": server}
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_serves_with_debug_off_and_static_files_through_whitenoise(served: dict[str, Any]) -> None:
    status, headers, body = request(f"{served['base']}/static/vendor/bootstrap/bootstrap.min.css")
    assert status == 200 and b"bootstrap" in body[:200].lower()
    assert "max-age" in (headers.get("Cache-Control") or "")  # WhiteNoise, not Django's debug static view
    status, _headers, body = request(f"{served['base']}/khong-co-trang-nay/")
    assert status == 404
    assert b"Django tried these URL patterns" not in body and b"DEBUG = True" not in body
    status, _headers, body = request(f"{served['base']}/thu-tuc/{PROCEDURE}/")
    assert status == 200 and "Đổi giấy phép lái xe".encode() in body


def test_concurrent_writers_on_sqlite_wait_instead_of_failing(served: dict[str, Any]) -> None:
    """24 receptions at once across 3 processes × 2 threads: every one is created, with gap-free codes."""
    body = {"procedure": PROCEDURE, "channel": "counter",
            "applicant": {"name": "Nguyễn Văn An", "id_number": "022090001234", "phone": "0912345678",
                          "address": "Tổ 3, khu 5, phường Hà Tu"},
            "components": [{"order": order, "originals": 1} for order in range(1, 5)]}

    def submit(index: int) -> tuple[int, Any]:
        status, _headers, answer = request(f"{served['base']}/api/v1/dossiers", body, served["token"],
                                           key=f"serve-test-{index}")
        return status, json.loads(answer)

    with sqlite3.connect(served["data_dir"] / "motcua.sqlite3") as db:  # the demo's history is there already
        before = db.execute("SELECT COUNT(*) FROM dossiers_dossier").fetchone()[0]
    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(submit, range(WRITERS)))
    assert [status for status, _ in results] == [201] * WRITERS, results
    codes = sorted(answer["code"] for _, answer in results)
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert numbers == list(range(numbers[0], numbers[0] + WRITERS))  # no gap, no duplicate
    with sqlite3.connect(served["data_dir"] / "motcua.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM dossiers_dossier").fetchone()[0] == before + WRITERS
    audit = subprocess.run([*MOTCUA, "verify_audit", "--quiet"], env=served["env"], capture_output=True, text=True,
                           timeout=120)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    # the requests left the reporting facts to the statistics follower (MOTCUA_STATS_REFRESH=follow): it has them
    # within seconds
    deadline = time.monotonic() + 30
    with sqlite3.connect(served["data_dir"] / "motcua.sqlite3") as db:
        while db.execute("SELECT COUNT(*) FROM stats_dossierfact").fetchone()[0] < before + WRITERS:
            assert time.monotonic() < deadline, "the follower did not build the facts"
            time.sleep(0.5)


def test_the_tracking_limit_holds_across_worker_processes(served: dict[str, Any]) -> None:
    """30 look-ups a minute per address, counted in the cache every worker shares (the database's, without Redis):
    the 31st is refused whichever process answers it."""
    url = f"{served['base']}/tra-cuu/?ma=000.00.01.H22-261125-9999"
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: request(url)[0], range(30)))
    assert sorted(set(statuses)) == [404]
    assert [request(url)[0] for _ in range(3)] == [429, 429, 429]


def test_stopping_the_server_stops_gunicorn_and_the_task_worker(served: dict[str, Any]) -> None:
    server: subprocess.Popen[bytes] = served["server"]
    children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
    short_lived = [pid for pid in children if any(
        task in Path(f"/proc/{pid}/cmdline").read_bytes()
        for task in (b"seal_chains", b"poll_shipments", b"send_digests"))]
    # gunicorn's master, the task worker, the statistics follower, the outbox worker, the demo PKI (MOTCUA_DEMO,
    # `load_demo` made it), the carrier simulator, the national portal's simulator and the population database
    # simulator, and the Zalo simulator; a seal_chains --if-due, a poll_shipments or a send_digests may be running too
    # a periodic job that has just ended and is not reaped yet is a zombie: it has no command line, so it is left out
    commands = [command for pid in children if pid not in short_lived
                if (command := Path(f"/proc/{pid}/cmdline").read_bytes())]
    assert len(commands) == 9, commands
    assert sum(b"zalo_sim" in command for command in commands) == 1, commands
    assert sum(b"portal_sim" in command for command in commands) == 1, commands
    assert sum(b"deliver_outbox" in command for command in commands) == 1, commands
    assert sum(b"carrier_sim" in command for command in commands) == 1, commands
    assert sum(b"population_sim" in command for command in commands) == 1, commands
    assert sum(b"refresh_stats" in command for command in commands) == 1, commands
    server.send_signal(signal.SIGTERM)
    assert server.wait(30) == 0
    time.sleep(0.5)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]
    assert alive == []
    with pytest.raises(OSError):
        request(f"{served['base']}/healthz")
