"""The population database simulator for tests: ``motcua population_sim`` as a real separate process on a free
port, and ``population``, a fixture pointing the settings at it (the simulator back to normal after each test).
Test modules import both fixtures from here (``population_fixture``, ``population_sim_fixture``)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings

from motcua.integrations.population import client
from tests.pki import free_port


@dataclass
class PopulationSim:
    url: str
    process: subprocess.Popen[bytes]

    def configure(self, **config: Any) -> None:
        """``failure_rate`` (0–1: answers 503), ``slow`` (seconds before answering), ``garbage`` (not JSON)."""
        basic = base64.b64encode(f"{settings.MOTCUA_POPULATION_CLIENT_ID}:"
                                 f"{settings.MOTCUA_POPULATION_CLIENT_SECRET}".encode()).decode()
        request = urllib.request.Request(self.url + "/_sim/config", method="POST",  # noqa: S310
                                         data=json.dumps(config).encode(), headers={"Authorization": f"Basic {basic}"})
        urllib.request.urlopen(request, timeout=5).close()  # noqa: S310

    def reset(self) -> None:
        self.configure(failure_rate=0, slow=0, garbage=False)

    def page(self) -> str:
        with urllib.request.urlopen(self.url + "/", timeout=5) as response:  # noqa: S310
            return str(response.read().decode())


@pytest.fixture(scope="session", name="population_sim")
def population_sim_fixture() -> Iterator[PopulationSim]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "motcua.cli", "population_sim", "--bind", f"127.0.0.1:{port}"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "motcua.config.settings"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sim = PopulationSim(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(sim.url + "/", timeout=1).close()  # noqa: S310
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the population simulator did not start") from None
            time.sleep(0.2)
    yield sim
    process.terminate()
    process.wait(10)


@pytest.fixture(name="population")
def population_fixture(population_sim: PopulationSim, settings: Any) -> Iterator[PopulationSim]:
    """The settings point at the simulator (a short timeout, so that "slow" is quick to test)."""
    settings.MOTCUA_POPULATION_URL = population_sim.url
    settings.MOTCUA_POPULATION_TIMEOUT = 1.0
    settings.MOTCUA_STATS_SOURCES = ["population"]
    population_sim.reset()
    yield population_sim
    population_sim.reset()
    client._clients.clear()
