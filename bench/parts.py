"""Running a benchmark made of parts, each its own module ``bench/<name>_<part>.py`` in its own process (its own
database and Django set-up), one after the other, each printing its own rows under one heading; the exit status is
non-zero when a part failed. ``bench/postal.py`` and ``bench/interconnect.py`` are such benchmarks."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def run_parts(name: str, parts: tuple[str, ...], description: str) -> int:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--smoke", action="store_true", help="small sizes (make test)")
    parser.add_argument("--parts", default=",".join(parts), help="which parts, comma-separated")
    options = parser.parse_args()
    failed = []
    for part in [p.strip() for p in options.parts.split(",") if p.strip()]:
        if part not in parts:
            parser.error(f"unknown part {part!r}; known: {', '.join(parts)}")
        print(f"== bench/{name}.py: {part} ==", flush=True)
        started = time.perf_counter()
        command = [sys.executable, str(BENCH / f"{name}_{part}.py")] + (["--smoke"] if options.smoke else [])
        if subprocess.run(command, check=False).returncode != 0:  # noqa: S603 - our own interpreter and script
            failed.append(part)
        print(f"   ({part}: {time.perf_counter() - started:.1f} s in all)", flush=True)
    if failed:
        print(f"bench/{name}.py: failed parts: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0
