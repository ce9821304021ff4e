"""Benchmark: the postal channel and the money around it (issue 12), in three parts, each its own module:

1. ``bench/postal_webhooks.py``: carrier status updates applied per second — through the signed webhook over
   HTTP (gunicorn on PostgreSQL) and through the service alone (target ≥ 1,000/s on 2 cores: a province's
   whole daily postal volume in seconds);
2. ``bench/postal_handover.py``: a hand-over record of 500 items sent and confirmed item by item, and its page;
3. ``bench/postal_reconcile.py``: the daily reconciliation over a month of a province's payments.

Each part runs in its own process (its own database and Django set-up), one after the other, and prints its own
rows; this script prints them under one heading and exits non-zero when a part failed.

    .venv/bin/python bench/postal.py [--smoke] [--parts webhooks,handover,reconcile]

Prints the figures; not a timed test.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PARTS = ("webhooks", "handover", "reconcile")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes (make test)")
    parser.add_argument("--parts", default=",".join(PARTS), help="which parts, comma-separated")
    options = parser.parse_args()
    failed = []
    for part in [p.strip() for p in options.parts.split(",") if p.strip()]:
        if part not in PARTS:
            parser.error(f"unknown part {part!r}; known: {', '.join(PARTS)}")
        print(f"== bench/postal.py: {part} ==", flush=True)
        started = time.perf_counter()
        command = [sys.executable, str(BENCH / f"postal_{part}.py")] + (["--smoke"] if options.smoke else [])
        if subprocess.run(command, check=False).returncode != 0:  # noqa: S603 - our own interpreter and script
            failed.append(part)
        print(f"   ({part}: {time.perf_counter() - started:.1f} s in all)", flush=True)
    if failed:
        print(f"bench/postal.py: failed parts: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
