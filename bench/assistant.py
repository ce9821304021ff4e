"""Benchmark: the virtual assistant (issue 15), in two parts, each its own module:

1. ``bench/assistant_answers.py``: over the gold set (``tests/data/assistant_gold.json``), Recall@1, Recall@5 and
   MRR (target Recall@5 ≥ 0.9), answers per second and p50/p95 latency without the language model (target p95
   < 50 ms on 2 cores);
2. ``bench/assistant_tickets.py``: the queue tickets' throughput (issue 15's counters part, written beside this
   one; until it is merged into the same checkout, ``--parts answers`` runs the first part alone).

Each part runs in its own process, one after the other, and prints its own rows; this script exits non-zero when
a part failed. A part whose module is not in this checkout is reported as missing and fails.

    .venv/bin/python bench/assistant.py [--smoke] [--parts answers,tickets]

Prints the figures; not a timed test.
"""

from __future__ import annotations

import sys

from parts import run_parts

if __name__ == "__main__":
    sys.exit(run_parts("assistant", ("answers", "tickets"), __doc__.splitlines()[0]))
