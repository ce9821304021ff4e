"""Benchmark (part 2 of ``bench/interconnect.py``): dossiers per second sent to another province and back, between
two real MotCua instances.

Two instances (``tests.peers.two_instances``: SQLite each, ``runserver`` each, an outbox worker each —
``deliver_outbox --follow``, one process per side, messages signed with Ed25519 and checked by the receiving inbox
once). Instance A receives ``--size`` judicial-record dossiers (each with a PDF) and transfers each to its step done
by B's Department of Justice; the figures:

* *across*: the dossiers wait in A's outbox; from the start of A's worker to the last answer recorded at A (build
  the body with the file in base64, sign, POST; at B: digest, signature, replay check, file hash, the local dossier
  and its events) — dossiers per second;
* *back*: B's officer sends them all back with a result file (queued); from the start of B's worker to the last
  dossier moved on at A (two ``status`` messages per dossier: the file attached, the final answer with the file).

    .venv/bin/python bench/interconnect_peers.py [--size 200] [--smoke]

Prints the figures; not a timed test. The load shares 2 cores with both servers and both workers.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.peers import Instance, two_instances, wait_until  # noqa: E402


def count(instance: Instance, sql: str) -> int:
    return int(instance.query(sql)[0][0])


def span(instance: Instance, kind: str) -> float:
    """Seconds between the first and the last ``kind`` message applied by ``instance``'s inbox (the sending
    worker's start-up left out)."""
    first, last = instance.query("SELECT min(received_at), max(received_at) FROM integrations_inboxmessage "
                                 "WHERE kind = ?", kind)[0]
    return (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()


def run(size: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="motcua-peers-bench-") as root:
        started = time.perf_counter()
        with two_instances(Path(root), workers=False) as (a, b):
            setup = time.perf_counter() - started
            rows.append(("setup: migrate, two provinces, two servers", f"{setup:.1f} s"))
            t0 = time.perf_counter()
            codes = a.run("submit", size)  # queued in A's outbox; no worker yet
            submitted = time.perf_counter() - t0
            t1 = time.perf_counter()
            a.start_worker()
            wait_until(lambda: count(a, "SELECT count(*) FROM integrations_peerexchange WHERE direction='out' "
                                        "AND remote_code != ''") >= size, timeout=60 + size, what="B's answers at A")
            across = time.perf_counter() - t1
            remote = [r[0] for r in b.query("SELECT d.code FROM dossiers_dossier d JOIN integrations_peerexchange x "
                                            "ON x.dossier_id = d.id WHERE x.direction='in'")]
            t2 = time.perf_counter()
            b.run("send_back", remote)  # queued in B's outbox
            sent_back = time.perf_counter() - t2
            t3 = time.perf_counter()
            b.start_worker()
            wait_until(lambda: count(a, "SELECT count(*) FROM dossiers_dossier WHERE step_index = 2") >= size,
                       timeout=60 + 2 * size, what="every dossier moved on at A")
            back = time.perf_counter() - t3
            for side in (a, b):  # the last answers reach their outbox a moment after the dossiers moved
                wait_until(lambda side=side: count(side, "SELECT count(*) FROM integrations_outboxmessage "
                                                         "WHERE status = 'pending'") == 0, what="outboxes empty")
            failed = count(a, "SELECT count(*) FROM integrations_outboxmessage WHERE status != 'delivered'") + count(
                b, "SELECT count(*) FROM integrations_outboxmessage WHERE status != 'delivered'")
            sent = count(a, "SELECT count(*) FROM integrations_outboxmessage") + count(
                b, "SELECT count(*) FROM integrations_outboxmessage")
            assert len(codes) == size == len(remote) and failed == 0, f"{failed} messages not delivered"
            rows += [
                ("dossiers", f"{size}"),
                ("A: received, transferred, queued (one process)", f"{submitted:.1f} s"),
                ("across: A's worker started → every dossier created at B and answered", f"{across:.1f} s"),
                ("  first to last send applied at B (start-up left out)",
                 f"{(sends := span(b, 'send')):.2f} s, {(size - 1) / max(sends, 1e-3):.1f} dossiers/s"),
                ("B: sent back with a result file, queued (one process)", f"{sent_back:.1f} s"),
                ("back: B's worker started → every dossier moved on at A", f"{back:.1f} s"),
                ("  first to last status applied at A (start-up left out)",
                 f"{(statuses := span(a, 'status')):.2f} s, {(size - 0.5) / max(statuses, 1e-3):.1f} dossiers/s "
                 f"({(2 * size - 1) / max(statuses, 1e-3):.1f} messages/s)"),
                ("signed messages delivered, both ways, none failed", f"{sent}"),
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
