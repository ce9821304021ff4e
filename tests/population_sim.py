"""The population database simulator for tests: ``motcua population_sim`` as a real separate process on a free
port, and ``population``, a fixture pointing the settings at it (the simulator back to normal after each test).
Test modules import both fixtures from here (``population_fixture``, ``population_sim_fixture``)."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings

from motcua.integrations.population import client
from tests.simulators import start_simulator


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
    url, process = start_simulator("population_sim")
    sim = PopulationSim(url, process)
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
