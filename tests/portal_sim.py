"""The national portal's simulator for tests: ``motcua portal_sim`` as a real separate process on a free port, and
helpers to configure it and read what it received. Test modules import the fixtures from here
(``from tests.portal_sim import portal_sim_fixture, portal_sim_process_fixture``: they are named ``portal_sim``
and ``portal_sim_process``)."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings

from tests.simulators import start_simulator


@dataclass
class PortalSim:
    url: str
    process: subprocess.Popen[bytes]

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(self.url + path, method=method,  # noqa: S310 - the local simulator
                                         data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    def configure(self, **config: float) -> None:
        self.call("POST", "/_sim/config", config)

    def reset(self) -> None:
        self.call("POST", "/_sim/reset", {})
        self.configure(failure_rate=0, slow=0, garbage=0, twice=0, lost=0)

    def state(self) -> dict[str, Any]:
        return self.call("GET", "/_sim/state")

    def dossier(self, code: str) -> dict[str, Any]:
        found: dict[str, Any] = self.state()["dossiers"][code]
        return found

    def progress(self, code: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.state()["progress"].get(code, [])
        return rows


def start(port: int | None = None) -> PortalSim:
    """``motcua portal_sim`` on ``port`` (a free one by default), once it answers."""
    url, process = start_simulator("portal_sim", "--seed", "7", probe="/_sim/state", port=port)
    return PortalSim(url, process)


def stop(sim: PortalSim) -> None:
    sim.process.terminate()
    sim.process.wait(10)


@pytest.fixture(scope="session", name="portal_sim_process")
def portal_sim_process_fixture() -> Iterator[PortalSim]:
    sim = start()
    yield sim
    stop(sim)


@pytest.fixture(name="portal_sim")
def portal_sim_fixture(portal_sim_process: PortalSim) -> Iterator[PortalSim]:
    """The simulator, emptied, with MotCua pointed at it (short timeout, the statistics' portal source on)."""
    portal_sim_process.reset()
    with override_settings(MOTCUA_DVCQG_URL=portal_sim_process.url, MOTCUA_DVCQG_TIMEOUT=2,
                           MOTCUA_STATS_SOURCES=["portal", "store"]):
        yield portal_sim_process
