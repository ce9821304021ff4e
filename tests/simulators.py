"""Starting a simulator of an outside system (``motcua carrier_sim``, ``portal_sim``, ``population_sim``) as a real
separate process on a free port for the tests, and waiting until it answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

from tests.pki import free_port


def start_simulator(command: str, *arguments: str, probe: str = "/", port: int | None = None
                    ) -> tuple[str, subprocess.Popen[bytes]]:
    """``motcua <command> --bind 127.0.0.1:<port> <arguments>``, once ``probe`` answers: its URL and process."""
    port = port or free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "motcua.cli", command, "--bind", f"127.0.0.1:{port}", *arguments],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "motcua.config.settings"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + probe, timeout=1).close()  # noqa: S310 - our own simulator
            return url, process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"{command} did not start") from None
            time.sleep(0.2)


def stop_simulator(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(10)
