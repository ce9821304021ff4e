"""A carrier simulator: a small HTTP server that behaves like the carrier (``postal.carrier``'s protocol), so that
sending results by post runs for real on a laptop and in the tests (``motcua carrier_sim``).

It takes orders (refusing a bad token, a duplicate order number or a missing address with the carrier's codes),
gives each a UPU S10 waybill, then moves it through its statuses over time — accepted, picked up, in transit,
out for delivery, delivered; sometimes a failed attempt first, sometimes returned to the sender — sending each
update as a signed webhook (retried while MotCua answers anything but 2xx), sometimes twice, sometimes out of
order. Updates due at the same moment go out together, up to ``batch`` per webhook (``{"Items": [row, …]}``; an
update the answer lists as rejected is sent again). It answers tracking queries and the daily COD statement, and
lists what it received on ``/``.

State is in memory: it is a simulator. ``POST /_sim/next`` (with the token) scripts the next orders for the tests:
``{"plan": "delivered" | "failed_then_delivered" | "returned", "duplicate": bool, "reorder": bool,
"cod_collected": int, "failure": bool}``; ``POST /_sim/config`` sets ``failure_rate``, ``webhook`` and ``batch``.
"""

from __future__ import annotations

import hashlib
import heapq
import html
import io
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import segno

from motcua.core.simulators import SimulatorHandler
from motcua.postal import carrier, s10

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PLANS = {
    "delivered": ["01", "02", "03", "04", "05"],
    "failed_then_delivered": ["01", "02", "03", "04", "06", "04", "05"],
    "returned": ["01", "02", "03", "04", "06", "07", "08"],
}
RECIPIENTS = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]


@dataclass
class Order:
    waybill: str
    body: dict[str, Any]
    plan: list[str]
    duplicate: bool
    reorder: bool
    cod_collected: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    delivered_at: datetime | None = None

    @property
    def status(self) -> str:
        return self.rows[-1]["StatusCode"] if self.rows else ""


Sending = tuple[Order, dict[str, Any], int, int]  # an update to send: (order, row, row index, attempt; -1: again)


class Simulator:
    """The simulator's state and clock; :meth:`serve` runs its HTTP server."""

    def __init__(self, *, token: str, secret: str, webhook: str = "", speed: float = 1.0, failure_rate: float = 0.0,
                 seed: int | None = None, gap: float = 15.0, prefix: str = "EB", batch: int = 50) -> None:
        self.token, self.secret, self.webhook = token, secret, webhook
        self.batch = max(1, batch)  # updates due at once go out together, this many per webhook at most
        self.speed, self.failure_rate, self.gap, self.prefix = max(speed, 0.001), failure_rate, gap, prefix
        self.random = random.Random(seed)
        self.serial = itertools.count(self.random.randrange(10_000_000, 90_000_000))
        self.lock = threading.Lock()
        self.orders: dict[str, Order] = {}
        self.numbers: dict[tuple[str, str], str] = {}  # (customer code, order number) → waybill
        self.scripts: deque[dict[str, Any]] = deque()
        self.log: deque[tuple[str, str, str]] = deque(maxlen=100)  # (time, what, answer)
        self.queue: list[tuple[float, int, str, int, int]] = []  # (due, seq, waybill, row index, attempt)
        self.seq = itertools.count()
        self.wake = threading.Condition(self.lock)
        self.pool = ThreadPoolExecutor(max_workers=8)
        self.stopping = False
        self.webhooks_sent = 0

    # --- orders --------------------------------------------------------------------------------------------------

    def create(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return 200, {"Status": "103", "Message": carrier.ERRORS["103"]}
        number = str(body.get("OrderNumber", "")).strip()
        missing = [name for name in ("CustomerCode", "OrderNumber", "ReceiverFullname", "ReceiverAddress")
                   if not str(body.get(name, "")).strip()]
        if missing:
            return 200, {"Status": "103", "Message": f"{carrier.ERRORS['103']}: {', '.join(missing)}"}
        with self.lock:
            script = self.scripts.popleft() if self.scripts else {}
            if script.get("failure") or (not script and self.random.random() < self.failure_rate):
                return 503, {"Status": "500", "Message": "service temporarily unavailable"}
            customer = str(body.get("CustomerCode", "")).strip()
            if (customer, number) in self.numbers:
                return 200, {"Status": "102", "Message": carrier.ERRORS["102"], "OrderNumber": number}
            plan = script.get("plan") or self._random_plan()
            waybill = s10.make(self.prefix, next(self.serial) % 100_000_000)
            cod = int(body.get("CODAmount") or 0)
            order = Order(
                waybill=waybill, body=body, plan=list(PLANS[plan]),
                duplicate=bool(script.get("duplicate", self.random.random() < 0.1)),
                reorder=bool(script.get("reorder", self.random.random() < 0.1)),
                cod_collected=int(script.get("cod_collected", cod)),
            )
            self.orders[waybill] = order
            self.numbers[(customer, number)] = waybill
            start = time.monotonic()
            for index in range(len(order.plan)):
                self._schedule(start + index * self.gap / self.speed, waybill, index, 0)
        return 200, {"Status": carrier.OK, "Message": "OK", "ItemCode": waybill, "OrderNumber": number}

    def _random_plan(self) -> str:
        draw = self.random.random()
        return "returned" if draw < 0.05 else "failed_then_delivered" if draw < 0.15 else "delivered"

    def _schedule(self, due: float, waybill: str, index: int, attempt: int) -> None:
        heapq.heappush(self.queue, (due, next(self.seq), waybill, index, attempt))
        self.wake.notify()

    # --- the clock: each step becomes a tracking row and a webhook -----------------------------------------------

    def run_clock(self) -> None:
        with self.lock:
            while not self.stopping:
                now = time.monotonic()
                if not self.queue or self.queue[0][0] > now:
                    self.wake.wait(timeout=min(1.0, self.queue[0][0] - now) if self.queue else 1.0)
                    continue
                due: list[Sending] = []  # every update due now: sent together, up to ``batch`` per webhook
                while self.queue and self.queue[0][0] <= now:
                    _due, _seq, waybill, index, attempt = heapq.heappop(self.queue)
                    order = self.orders[waybill]
                    if attempt == 0 and index == len(order.rows):
                        self._emit(order, index)
                    if not self.webhook:
                        continue
                    if attempt == 0 and order.reorder and 0 < index < len(order.plan) - 1 and index % 2 == 1:
                        # this update's webhook goes out after the next one's
                        self._schedule(now + 1.5 * self.gap / self.speed, waybill, index, 1)
                        continue
                    due.append((order, order.rows[index], index, attempt))
                    if attempt == 0 and order.duplicate:
                        due.append((order, order.rows[index], index, -1))
                for start in range(0, len(due), self.batch):
                    chunk = due[start:start + self.batch]
                    if len(chunk) == 1:
                        self.pool.submit(self._post, *chunk[0])
                    else:
                        self.pool.submit(self._post_batch, chunk)

    def _emit(self, order: Order, index: int) -> None:
        code = order.plan[index]
        now = datetime.now(VN)
        row: dict[str, Any] = {
            "EventId": f"{order.waybill}-{index + 1}", "StatusCode": code, "StatusMessage": carrier.MESSAGES[code],
            "Time": now.isoformat(timespec="microseconds"),
        }
        if code == "05":
            recipient = order.body.get("ReceiverFullname") or self.random.choice(RECIPIENTS)
            proof = self.proof(order.waybill, recipient)
            row.update({"CODAmount": order.cod_collected, "Recipient": recipient,
                        "ProofSha256": hashlib.sha256(proof).hexdigest(),
                        "ProofUrl": f"/orders/{order.waybill}/proof.png"})
            order.delivered_at = now
        order.rows.append(row)

    def proof(self, waybill: str, recipient: str) -> bytes:
        """The delivery proof's image: a QR code of the waybill and the recipient (stands in for a photo)."""
        buffer = io.BytesIO()
        segno.make(f"{waybill} {recipient}", micro=False).save(buffer, kind="png", scale=4)
        return buffer.getvalue()

    def webhook_body(self, order: Order, row: dict[str, Any]) -> bytes:
        body = {"CustomerCode": order.body.get("CustomerCode"), "OrderNumber": order.body.get("OrderNumber"),
                "ItemCode": order.waybill, **row}
        return json.dumps(body, ensure_ascii=False).encode()

    def batch_body(self, sending: list[Sending]) -> bytes:
        """Several updates in one webhook: ``{"Items": [row, …]}``, each row as a one-update webhook's body."""
        items = [json.loads(self.webhook_body(order, row)) for order, row, _index, _attempt in sending]
        return json.dumps({"Items": items}, ensure_ascii=False).encode()

    def _send_webhook(self, body: bytes) -> tuple[str, bytes]:
        request = urllib.request.Request(  # noqa: S310 - the configured MotCua address
            self.webhook, data=body, method="POST", headers=carrier.signed_headers(body, self.secret))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return f"{response.status}", response.read()
        except urllib.error.HTTPError as exc:
            return f"{exc.code}", b""
        except OSError as exc:
            return type(exc).__name__, b""

    def _post_batch(self, sending: list[Sending]) -> None:
        """Send ``sending`` as one batch; each update the answer rejects (an unknown waybill: MotCua may not have
        stored the order's answer yet), or all if the batch was refused, is sent again later, alone or batched."""
        answer, content = self._send_webhook(self.batch_body(sending))
        outcomes: list[str] = []
        if answer.startswith("2"):
            try:
                outcomes = [str(item.get("outcome", "")) for item in json.loads(content)["items"]]
            except (ValueError, KeyError, TypeError, AttributeError):
                outcomes = []
        if len(outcomes) != len(sending):
            outcomes = ["rejected"] * len(sending)
        with self.lock:
            self.webhooks_sent += 1
            self.log.appendleft((datetime.now(VN).strftime("%H:%M:%S"), f"webhook batch of {len(sending)}",
                                 f"{answer} ({outcomes.count('rejected')} rejected)"))
            for (order, _row, index, attempt), outcome in zip(sending, outcomes, strict=True):
                if outcome == "rejected" and 0 <= attempt < 8 and not self.stopping:
                    self._schedule(time.monotonic() + min(60.0, 2.0 ** attempt), order.waybill, index, attempt + 1)

    def _post(self, order: Order, row: dict[str, Any], index: int, attempt: int) -> None:
        answer, _content = self._send_webhook(self.webhook_body(order, row))
        with self.lock:
            self.webhooks_sent += 1
            self.log.appendleft((datetime.now(VN).strftime("%H:%M:%S"),
                                 f"webhook {order.waybill} {row['StatusCode']}" + (" (again)" if attempt < 0 else ""),
                                 answer))
            if not answer.startswith("2") and 0 <= attempt < 8 and not self.stopping:
                self._schedule(time.monotonic() + min(60.0, 2.0 ** attempt), order.waybill, index, attempt + 1)

    # --- queries ---------------------------------------------------------------------------------------------------

    def tracking(self, waybill: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            order = self.orders.get(waybill.upper())
            if order is None:
                return 404, {"Status": "104", "Message": carrier.ERRORS["104"]}
            return 200, {"Status": carrier.OK, "ItemCode": order.waybill,
                         "OrderNumber": order.body.get("OrderNumber"), "Rows": list(order.rows)}

    def find(self, customer: str, number: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            waybill = self.numbers.get((customer, number))
        if waybill is None:
            return 404, {"Status": "104", "Message": carrier.ERRORS["104"]}
        return 200, {"Status": carrier.OK, "ItemCode": waybill, "OrderNumber": number}

    def cod_statement(self, day: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            rows = [{"ItemCode": o.waybill, "OrderNumber": o.body.get("OrderNumber"), "CODAmount": o.cod_collected,
                     "DeliveredAt": o.delivered_at.isoformat()}
                    for o in self.orders.values()
                    if o.delivered_at is not None and o.delivered_at.date().isoformat() == day and o.cod_collected]
        return 200, {"Status": carrier.OK, "Date": day, "Rows": rows,
                     "Total": sum(row["CODAmount"] for row in rows)}

    def page(self) -> str:
        with self.lock:
            orders = "".join(
                f"<tr><td>{html.escape(o.waybill)}</td><td>{html.escape(str(o.body.get('OrderNumber')))}</td>"
                f"<td>{html.escape(carrier.MESSAGES.get(o.status, ''))}</td><td>{o.cod_collected:,}</td></tr>"
                for o in list(self.orders.values())[-100:])
            log = "".join(f"<tr><td>{t}</td><td>{html.escape(w)}</td><td>{html.escape(a)}</td></tr>"
                          for t, w, a in self.log)
        return ("<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
                "<title>Carrier simulator</title><h1>Carrier simulator (Vietnam Post shape)</h1>"
                f"<p>Webhook: {html.escape(self.webhook or '(none)')} · speed ×{self.speed:g} · "
                f"failure rate {self.failure_rate:g}</p><h2>Orders</h2><table border=1 cellpadding=4>"
                f"<tr><th>Waybill<th>Order number<th>Status<th>COD</tr>{orders}</table>"
                f"<h2>Received and sent</h2><table border=1 cellpadding=4>{log}</table>")

    # --- HTTP --------------------------------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(SimulatorHandler):

            def _authorized(self) -> bool:
                if self.headers.get("h-token", "") == sim.token:
                    return True
                self._json(401, {"Status": "101", "Message": carrier.ERRORS["101"]})
                return False

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                segments = [s for s in parts.path.split("/") if s]
                if not segments:
                    self._send(200, sim.page().encode(), "text/html; charset=utf-8")
                elif len(segments) == 3 and segments[0] == "orders" and segments[2] == "proof.png":
                    order = sim.orders.get(segments[1].upper())
                    if order is None or order.delivered_at is None:
                        self._json(404, {"Status": "104", "Message": carrier.ERRORS["104"]})
                    else:
                        self._send(200, sim.proof(order.waybill, str(order.rows[-1].get("Recipient", ""))),
                                   "image/png")
                elif len(segments) == 3 and segments[0] == "orders" and segments[2] == "tracking":
                    if self._authorized():
                        self._json(*sim.tracking(segments[1]))
                elif segments == ["orders"]:
                    if self._authorized():
                        query = parse_qs(parts.query)
                        self._json(*sim.find(query.get("customer", [""])[0], query.get("number", [""])[0]))
                elif segments == ["cod-statement"]:
                    if self._authorized():
                        day = parse_qs(parts.query).get("date", [datetime.now(VN).date().isoformat()])[0]
                        self._json(*sim.cod_statement(day[:10]))
                else:
                    self._json(404, {"Status": "404", "Message": "not found"})

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(min(length, 1_000_000))
                path = urlsplit(self.path).path.rstrip("/")
                if not self._authorized():
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._json(400, {"Status": "103", "Message": "not JSON"})
                    return
                if path == "/orders":
                    status, answer = sim.create(body)
                    with sim.lock:
                        sim.log.appendleft((datetime.now(VN).strftime("%H:%M:%S"),
                                            f"order {str(body.get('OrderNumber', ''))[:50]}",
                                            f"{answer.get('Status')} {answer.get('ItemCode', '')}"))
                    self._json(status, answer)
                elif path == "/_sim/next":
                    with sim.lock:
                        sim.scripts.append(body)
                    self._json(200, {"Status": carrier.OK})
                elif path == "/_sim/config":
                    with sim.lock:
                        sim.failure_rate = float(body.get("failure_rate", sim.failure_rate))
                        sim.webhook = str(body.get("webhook", sim.webhook))
                        sim.batch = max(1, int(body.get("batch", sim.batch)))
                    self._json(200, {"Status": carrier.OK})
                else:
                    self._json(404, {"Status": "404", "Message": "not found"})

        return Handler

    def serve(self, host: str, port: int) -> None:
        server = ThreadingHTTPServer((host, port), self.handler())
        server.daemon_threads = True
        clock = threading.Thread(target=self.run_clock, daemon=True)
        clock.start()
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            with self.lock:
                self.stopping = True
                self.wake.notify()
            server.server_close()
            self.pool.shutdown(wait=False, cancel_futures=True)
