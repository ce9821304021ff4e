"""The carrier simulator for tests: ``motcua carrier_sim`` as a real separate process on a free port, and
helpers to script it and to build carrier updates. Test modules import the ``carrier_sim`` fixture from here."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from motcua.catalog.models import FeeTiming, ProcedureVersion
from motcua.postal import carrier
from motcua.postal.models import Shipment, ShipmentStatus
from tests.simulators import start_simulator

TOKEN = "motcua-sim-token"  # noqa: S105 - the simulator's default (config/settings.py)


@dataclass
class CarrierSim:
    url: str
    process: subprocess.Popen[bytes]

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(self.url + path, method=method, headers={"h-token": TOKEN},  # noqa: S310
                                         data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    def script(self, **next_order: Any) -> None:
        """How the next order goes (plan, duplicate, reorder, cod_collected, failure)."""
        self.call("POST", "/_sim/next", next_order)

    def configure(self, **config: Any) -> None:
        self.call("POST", "/_sim/config", config)

    def tracking(self, waybill: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.call("GET", f"/orders/{waybill}/tracking")["Rows"]
        return rows

    def wait_for(self, waybill: str, code: str, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.tracking(waybill)
            if rows and rows[-1]["StatusCode"] == code:
                return rows
            time.sleep(0.1)
        raise AssertionError(f"{waybill} never reached {code}: {self.tracking(waybill)}")


@pytest.fixture(scope="session")
def carrier_sim() -> Iterator[CarrierSim]:
    """The simulator at 50× speed (a step every 0.3 s), no webhook until a test sets one."""
    url, process = start_simulator("carrier_sim", "--speed", "50", "--seed", "7")
    sim = CarrierSim(url, process)
    yield sim
    process.terminate()
    process.wait(10)


def row(waybill: str, code: str, at: datetime, *, event_id: str = "", **extra: Any) -> dict[str, Any]:
    """A webhook body as the carrier sends it."""
    return {"ItemCode": waybill, "OrderNumber": "", "EventId": event_id or f"{waybill}-{code}-{at.timestamp()}",
            "StatusCode": code, "StatusMessage": carrier.MESSAGES[code], "Time": at.isoformat(), **extra}


def signed(body: dict[str, Any], secret: str | None = None, *, now: float | None = None
           ) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = carrier.signed_headers(raw, secret if secret is not None else settings.MOTCUA_CARRIER_WEBHOOK_SECRET,
                                     now)
    return raw, {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()
                 if name != "Content-Type"}


def accepted(shipment: Shipment, waybill: str, at: datetime | None = None) -> Shipment:
    """What the carrier's answer to the order does (``place_order``), for tests that post the updates themselves."""
    Shipment.objects.filter(pk=shipment.pk).update(waybill=waybill, status=ShipmentStatus.ACCEPTED,
                                                   accepted_at=at or datetime.now().astimezone())
    return Shipment.objects.get(pk=shipment.pk)


def later(start: datetime, minutes: int) -> datetime:
    return start + timedelta(minutes=minutes)


def vendor() -> str:
    return connection.vendor


def collect_on_delivery() -> None:
    """The procedures' fees are collected on delivery (``ProcedureVersion.fee_timing``): cash on delivery."""
    ProcedureVersion.objects.update(fee_timing=FeeTiming.ON_DELIVERY)
