"""Benchmark: interconnection (issue 14), in three parts, each its own module:

1. ``bench/interconnect_outbox.py``: the outbox's throughput to the national portal simulator (target: a
   province's whole day of changes, about 20,000, in under a minute on 2 cores);
2. ``bench/interconnect_peers.py``: dossiers per second sent between two real instances and back;
3. ``bench/interconnect_merge.py``: a commune with 5,000 open dossiers merged into another (``merge_units``).

Each part runs in its own process, one after the other, and prints its own rows; this script exits non-zero when
a part failed.

    .venv/bin/python bench/interconnect.py [--smoke] [--parts outbox,peers,merge]

Prints the figures; not a timed test.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PARTS = ("outbox", "peers", "merge")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes (make test)")
    parser.add_argument("--parts", default=",".join(PARTS), help="which parts, comma-separated")
    options = parser.parse_args()
    failed = []
    for part in [p.strip() for p in options.parts.split(",") if p.strip()]:
        if part not in PARTS:
            parser.error(f"unknown part {part!r}; known: {', '.join(PARTS)}")
        print(f"== bench/interconnect.py: {part} ==", flush=True)
        started = time.perf_counter()
        command = [sys.executable, str(BENCH / f"interconnect_{part}.py")] + (["--smoke"] if options.smoke else [])
        if subprocess.run(command, check=False).returncode != 0:  # noqa: S603 - our own interpreter and script
            failed.append(part)
        print(f"   ({part}: {time.perf_counter() - started:.1f} s in all)", flush=True)
    if failed:
        print(f"bench/interconnect.py: failed parts: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
