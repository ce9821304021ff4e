"""The Zalo official-account simulator for tests: ``motcua zalo_sim`` as a real separate process on a free port,
its events sent to the test's live server (``/zalo/webhook``), and ``zalo``, a fixture pointing the settings at
it. Test modules import both fixtures from here (``zalo_fixture``, ``zalo_sim_fixture``)."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.simulators import start_simulator

ZALO_SETTINGS = {"MOTCUA_ZALO_APP_ID": "test-app", "MOTCUA_ZALO_SECRET_KEY": "test-app-secret",
                 "MOTCUA_ZALO_OA_ID": "4318000000000000009", "MOTCUA_ZALO_REFRESH_TOKEN": "test-first-refresh",
                 "MOTCUA_ZALO_OA_SECRET": "test-oa-secret"}


@dataclass
class ZaloSim:
    url: str
    process: subprocess.Popen[bytes]

    def _post(self, path: str, data: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        request = urllib.request.Request(self.url + path, method="POST", data=json.dumps(data).encode(),  # noqa: S310
                                         headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - our own simulator
            return json.loads(response.read())

    def configure(self, **config: Any) -> None:
        """``failure_rate`` (0–1: answers 503), ``token_seconds``, ``expire_tokens`` (given tokens stop working)."""
        self._post("/_sim/config", config, {"secret_key": ZALO_SETTINGS["MOTCUA_ZALO_SECRET_KEY"]})

    def reset(self) -> None:
        self.configure(failure_rate=0, token_seconds=90000)

    def follow(self, name: str = "Nguyễn Văn An", user_id: str = "") -> dict[str, Any]:
        """A citizen follows the OA (the simulator sends the signed ``follow`` event to the webhook)."""
        return dict(self._post("/_sim/follow", {"name": name, "user_id": user_id}))

    def send(self, user_id: str, text: str) -> dict[str, Any]:
        return dict(self._post("/_sim/send", {"user_id": user_id, "text": text}))

    def unfollow(self, user_id: str) -> dict[str, Any]:
        return dict(self._post("/_sim/unfollow", {"user_id": user_id}))

    def messages_to(self, user_id: str) -> list[str]:
        query = urllib.parse.urlencode({"user_id": user_id})
        with urllib.request.urlopen(f"{self.url}/_sim/messages?{query}", timeout=5) as response:  # noqa: S310
            return [m["text"] for m in json.loads(response.read())["messages"]]


@pytest.fixture(scope="session", name="zalo_sim")
def zalo_sim_fixture(live_server: Any) -> Iterator[ZaloSim]:
    saved = {key: os.environ.get(key) for key in ZALO_SETTINGS}
    os.environ.update(ZALO_SETTINGS)  # the simulator's process reads the same app ID and secrets
    try:
        url, process = start_simulator("zalo_sim", "--webhook", f"{live_server.url}/zalo/webhook")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    sim = ZaloSim(url, process)
    yield sim
    process.terminate()
    process.wait(10)


@pytest.fixture(name="zalo")
def zalo_fixture(zalo_sim: ZaloSim, settings: Any) -> Iterator[ZaloSim]:
    """The settings point at the simulator (API and OAuth), with the simulator's app ID and secrets."""
    for key, value in ZALO_SETTINGS.items():
        setattr(settings, key, value)
    settings.MOTCUA_ZALO_API_URL = settings.MOTCUA_ZALO_OAUTH_URL = zalo_sim.url
    settings.MOTCUA_ZALO_FOLLOW_URL = zalo_sim.url + "/"
    settings.MOTCUA_ZALO_TIMEOUT = 5.0
    zalo_sim.reset()
    yield zalo_sim
    zalo_sim.reset()
