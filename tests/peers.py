"""Two real MotCua instances for the peers tests and benchmark: two SQLite databases (one migration, copied), two
keys, two ``runserver`` processes on free ports, two outbox workers (``deliver_outbox --follow``), each registered
as the other's peer (``tests.peers_world.setup``).

``Instance.run("submit", 3)`` calls a function of :mod:`tests.peers_world` inside the instance (its own process,
its own settings); ``Instance.query(sql)`` reads its SQLite file directly (cheap, for polling)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent
DROPPED = {"DEBUG", "DATABASE_URL", "REDIS_URL", "MOTCUA_DEMO", "MOTCUA_INSTANCE_CODE", "MOTCUA_PEER_KEY_FILE",
           "MOTCUA_DATA_DIR", "MEDIA_ROOT", "DJANGO_SETTINGS_MODULE"}


def free_port() -> int:
    """A free TCP port on the loopback (this module imports nothing of Django: the benchmark uses it too)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def base_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith("PYTEST")}
    env.update(MOTCUA_DATA_DIR=str(data_dir), DATABASE_URL=f"sqlite:///{data_dir / 'motcua.sqlite3'}",
               SECRET_KEY="peers-test-secret-key-" + "x" * 30, DJANGO_SETTINGS_MODULE="motcua.config.settings",
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]), MOTCUA_OUTBOX_FOLLOW_SECONDS="0.05",
               MOTCUA_OUTBOX_RETRY_SECONDS="0.5", MOTCUA_PEER_TIMEOUT="20")
    return env


@dataclass
class Instance:
    side: str
    code: str
    data_dir: Path
    port: int
    env: dict[str, str]
    key: Ed25519PrivateKey
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")

    def manage(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run([sys.executable, "-m", "motcua.cli", *args], env=self.env, capture_output=True,  # noqa: S603
                              text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{self.side}: motcua {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def run(self, function: str, *args: Any) -> Any:
        """Call ``tests.peers_world.<function>(*args)`` inside this instance; its JSON answer."""
        return self.finish(self.begin(function, *args))

    def begin(self, function: str, *args: Any) -> subprocess.Popen[str]:
        """:meth:`run` started, not waited for (:meth:`finish`): two instances set up at once."""
        code = ("import json, sys, django; django.setup(); from tests import peers_world; "
                f"print('@@' + json.dumps(peers_world.{function}(*json.loads(sys.argv[1]))))")
        return subprocess.Popen([sys.executable, "-c", code, json.dumps(list(args))], env=self.env,  # noqa: S603
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)

    def finish(self, process: subprocess.Popen[str]) -> Any:
        stdout, stderr = process.communicate(timeout=120)
        if process.returncode != 0:
            raise RuntimeError(f"{self.side}: {process.args} failed:\n{stdout}\n{stderr}")
        return json.loads(stdout.rsplit("@@", 1)[1])

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.data_dir / 'motcua.sqlite3'}?mode=ro", uri=True, timeout=10) as db:
            return db.execute(sql, params).fetchall()

    def start(self, worker: bool = True, wait: bool = True, spawn: bool = True) -> None:
        """Start the server (and the outbox worker); ``wait``: until it answers."""
        if spawn:
            log = open(self.data_dir / "server.log", "wb")  # noqa: SIM115 - closed with the process
            self.processes.append(subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "motcua.cli", "runserver", "--noreload", "--skip-checks",
                 f"127.0.0.1:{self.port}"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True))
        if worker:
            self.start_worker()
        if not wait:
            return
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/.well-known/motcua-peer", timeout=2).close()  # noqa: S310
                return
            except OSError:
                if time.monotonic() > deadline or self.processes[0].poll() is not None:
                    raise RuntimeError(f"{self.side} did not start: "
                                       f"{(self.data_dir / 'server.log').read_text(errors='replace')[-3000:]}"
                                       ) from None
                time.sleep(0.2)

    def start_worker(self) -> None:
        log = open(self.data_dir / "worker.log", "wb")  # noqa: SIM115 - closed with the process
        self.processes.append(subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "motcua.cli", "deliver_outbox", "--follow", "--system", "peer"], env=self.env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def wait_until(check: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.1)


def migrated_template(root: Path) -> Path:
    """An empty migrated SQLite database, made once per set of migrations (kept in the system's temporary
    directory, named by the migrations' hash: the test and the benchmark of one run share it)."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "motcua").glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    cached = Path(tempfile.gettempdir()) / f"motcua-peers-template-{digest.hexdigest()[:16]}.sqlite3"
    if cached.exists():
        return cached
    work = root / "template"
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "motcua.cli", "migrate", "--noinput", "-v", "0"],  # noqa: S603
                   env=base_env(work), check=True, capture_output=True, timeout=300)
    partial = cached.with_suffix(f".{os.getpid()}.part")
    shutil.copy(work / "motcua.sqlite3", partial)
    partial.replace(cached)
    return cached


@contextmanager
def two_instances(root: Path, *, workers: bool = True) -> Iterator[tuple[Instance, Instance]]:
    """A (Quảng Ninh, 22) and B (Hà Nội, 01), serving, each the other's peer."""
    template = migrated_template(root)
    instances = []
    for side, code in (("A", "22"), ("B", "01")):
        data_dir = root / side
        data_dir.mkdir()
        shutil.copy(template, data_dir / "motcua.sqlite3")
        key = Ed25519PrivateKey.generate()
        (data_dir / "peer_key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        env = base_env(data_dir) | {"MOTCUA_INSTANCE_CODE": code, "MOTCUA_INSTANCE_NAME": f"MotCua {side}"}
        instances.append(Instance(side, code, data_dir, free_port(), env, key))
    a, b = instances
    try:
        setups = a.begin("setup", "A", b.url, b.public_pem), b.begin("setup", "B", a.url, a.public_pem)
        a.finish(setups[0])
        b.finish(setups[1])
        a.start(worker=workers, wait=False)
        b.start(worker=workers)
        a.start(worker=False, wait=True, spawn=False)
        yield a, b
    finally:
        a.stop()
        b.stop()
