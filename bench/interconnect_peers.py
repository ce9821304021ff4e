"""Benchmark (part 2 of ``bench/interconnect.py``): dossiers per second sent to another province and back, between
two real MotCua instances.

Two instances (``tests.peers.two_instances``: SQLite each, ``runserver`` each, an outbox worker each —
``deliver_outbox --follow``, one process per side, messages signed with Ed25519 and checked by the receiving inbox
once). Instance A receives ``--size`` judicial-record dossiers (each with a PDF) and transfers each to its step done
by B's Department of Justice; the figures:

* *across*: from the first transfer to the last dossier created at B (signature, digest, file hash, the local
  dossier and its events, the answer recorded at A) — dossiers per second;
* *back*: B's officer sends them all back with a result file; from the first send-back to the last dossier moved on
  at A (two ``status`` messages per dossier: the file attached, the final answer) — dossiers per second.

    .venv/bin/python bench/interconnect_peers.py [--size 200] [--smoke]

Prints the figures; not a timed test. The load shares 2 cores with both servers and both workers.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.peers import Instance, two_instances, wait_until  # noqa: E402


def count(instance: Instance, sql: str) -> int:
    return int(instance.query(sql)[0][0])


def run(size: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="motcua-peers-bench-") as root:
        started = time.perf_counter()
        with two_instances(Path(root)) as (a, b):
            setup = time.perf_counter() - started
            rows.append(("setup: migrate, two provinces, two servers and workers", f"{setup:.1f} s"))
            t0 = time.perf_counter()
            codes = a.run("submit", size)
            submitted = time.perf_counter() - t0
            wait_until(lambda: count(b, "SELECT count(*) FROM integrations_peerexchange WHERE direction='in'")
                       >= size, timeout=60 + size, what="every dossier at B")
            across = time.perf_counter() - t0
            wait_until(lambda: count(a, "SELECT count(*) FROM integrations_peerexchange WHERE direction='out' "
                                        "AND remote_code != ''") >= size, timeout=60, what="B's answers at A")
            remote = [r[0] for r in b.query("SELECT d.code FROM dossiers_dossier d JOIN integrations_peerexchange x "
                                            "ON x.dossier_id = d.id WHERE x.direction='in'")]
            t1 = time.perf_counter()
            b.run("send_back", remote)
            sent_back = time.perf_counter() - t1
            wait_until(lambda: count(a, "SELECT count(*) FROM dossiers_dossier WHERE step_index = 2") >= size,
                       timeout=60 + 2 * size, what="every dossier moved on at A")
            back = time.perf_counter() - t1
            failed = count(a, "SELECT count(*) FROM integrations_outboxmessage WHERE status != 'delivered'") + count(
                b, "SELECT count(*) FROM integrations_outboxmessage WHERE status != 'delivered'")
            sent = count(a, "SELECT count(*) FROM integrations_outboxmessage") + count(
                b, "SELECT count(*) FROM integrations_outboxmessage")
            assert len(codes) == size and failed == 0, f"{failed} messages not delivered"
            rows += [
                ("dossiers", f"{size}"),
                ("A: received and transferred (local work, one process)", f"{submitted:.1f} s"),
                ("across: transfer → dossier at B", f"{across:.1f} s, {size / across:.1f} dossiers/s"),
                ("B: sent back (local work, one process)", f"{sent_back:.1f} s"),
                ("back: send-back → moved on at A", f"{back:.1f} s, {size / back:.1f} dossiers/s"),
                ("signed messages delivered, both ways", f"{sent} ({sent / (across + back):.1f}/s)"),
            ]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200, help="dossiers sent across and back")
    parser.add_argument("--smoke", action="store_true", help="10 dossiers (under a minute)")
    options = parser.parse_args()
    size = 10 if options.smoke else options.size
    try:
        rows = run(size)
    except (AssertionError, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"peers benchmark failed: {exc}", file=sys.stderr)
        return 1
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
