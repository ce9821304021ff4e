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

import sys

from parts import run_parts

if __name__ == "__main__":
    sys.exit(run_parts("postal", ("webhooks", "handover", "reconcile"), __doc__.splitlines()[0]))
