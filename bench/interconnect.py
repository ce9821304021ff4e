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

import sys

from parts import run_parts

if __name__ == "__main__":
    sys.exit(run_parts("interconnect", ("outbox", "peers", "merge"), __doc__.splitlines()[0]))
