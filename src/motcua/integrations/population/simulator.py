"""A population database simulator: a small HTTP server that answers like the national population database
(``population.client``'s protocol), so that identity checks run for real on a laptop and in the tests
(``motcua population_sim``).

It knows the fictional people of ``population.people`` (the demo accounts' persons and ~200 generated ones),
issues OAuth2 client-credentials tokens, answers look-ups and verifications with the database's error codes
(unknown ID, bad request, unauthorized), and lists the look-ups it answered on ``/`` (citizen IDs masked). State is
in memory. ``POST /_sim/config`` (Basic auth of the client) sets ``failure_rate`` (answers 503), ``slow`` (seconds
to wait before answering) and ``garbage`` (answers that are not JSON) for the tests.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import random
import secrets
import threading
import time
import unicodedata
from collections import deque
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from motcua.core.simulators import SimulatorHandler, serve_forever
from motcua.integrations.population import client, people

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TOKEN_SECONDS = 3600
ERRORS = {"01": "Không tìm thấy công dân", "02": "Yêu cầu không hợp lệ", "03": "Không được phép truy cập"}


def masked(id_number: str) -> str:
    return id_number[:3] + "*" * max(0, len(id_number) - 5) + id_number[-2:] if len(id_number) > 5 else "***"


def _fold(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


# the page's head: a phone shows it at its own width, each table row as a block of lines, long codes wrapped
PAGE_HEAD = ("<meta charset=utf-8><meta name=viewport content='width=device-width, initial-scale=1'>"
             "<style>body{font-family:sans-serif;margin:.5rem;overflow-wrap:anywhere}"
             "table{border-collapse:collapse;width:100%}td,th{vertical-align:top}ol,ul{padding-left:1.2rem}"
             "@media (max-width:40rem){table,tbody,tr,td{display:block}tr:first-child:has(th){display:none}"
             "tr{border-bottom:2px solid #888;padding:.3rem 0}td{border:0!important;padding:.1rem}}</style>")


class Simulator:
    def __init__(self, *, client_id: str, secret: str, count: int = 200, seed: int = 14) -> None:
        self.client_id, self.secret = client_id, secret
        self.people = people.population(count, seed)
        self.tokens: dict[str, float] = {}
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.failure_rate = 0.0
        self.slow = 0.0
        self.garbage = False
        self.log: deque[tuple[str, str, str, str]] = deque(maxlen=200)  # (time, what, masked ID, answer)
        self.answered = 0

    # --- the API ---------------------------------------------------------------------------------------------

    def issue_token(self, authorization: str, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        client_id, secret = form.get("client_id", [""])[0], form.get("client_secret", [""])[0]
        if authorization.startswith("Basic "):
            try:
                client_id, _sep, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = secret = ""
        if form.get("grant_type", [""])[0] != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if not (secrets.compare_digest(client_id, self.client_id) and secrets.compare_digest(secret, self.secret)):
            return 401, {"error": "invalid_client"}
        token = secrets.token_urlsafe(24)
        with self.lock:
            now = time.monotonic()
            self.tokens = {t: exp for t, exp in self.tokens.items() if exp > now}
            self.tokens[token] = now + TOKEN_SECONDS
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS}

    def authorized(self, authorization: str) -> bool:
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self.lock:
            return self.tokens.get(token, 0.0) > time.monotonic()

    def lookup(self, body: Any) -> tuple[int, dict[str, Any]]:
        number = str(body.get("SoDinhDanh", "")).strip() if isinstance(body, dict) else ""
        if not (len(number) == 12 and number.isdigit()):
            return 400, {"MaLoi": "02", "MoTa": ERRORS["02"]}
        person = self.people.get(number)
        if person is None:
            return 404, {"MaLoi": "01", "MoTa": ERRORS["01"]}
        return 200, {"MaLoi": "00", "CongDan": person.as_record()}

    def verify(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return 400, {"MaLoi": "02", "MoTa": ERRORS["02"]}
        number, name = str(body.get("SoDinhDanh", "")).strip(), str(body.get("HoVaTen", ""))
        try:
            born = date.fromisoformat(str(body.get("NgaySinh", "")))
        except ValueError:
            born = None
        if not (len(number) == 12 and number.isdigit()) or not name.strip() or born is None:
            return 400, {"MaLoi": "02", "MoTa": ERRORS["02"]}
        person = self.people.get(number)
        if person is None:
            return 404, {"MaLoi": "01", "MoTa": ERRORS["01"]}
        if _fold(name) != _fold(person.full_name):
            return 200, {"MaLoi": "00", "KetQua": "SAI_HO_TEN"}
        if born != person.date_of_birth:
            return 200, {"MaLoi": "00", "KetQua": "SAI_NGAY_SINH"}
        return 200, {"MaLoi": "00", "KetQua": "KHOP"}

    def note(self, what: str, number: str, answer: str) -> None:
        with self.lock:
            self.answered += 1
            self.log.appendleft((datetime.now(VN).strftime("%H:%M:%S"), what, masked(number), answer))

    def page(self) -> str:
        with self.lock:
            rows = "".join(f"<tr><td>{t}</td><td>{html.escape(w)}</td><td>{html.escape(n)}</td>"
                           f"<td>{html.escape(a)}</td></tr>" for t, w, n, a in self.log)
        tries = "".join(f"<li>{html.escape(p.full_name)} · {p.id_number} · {p.date_of_birth:%d/%m/%Y}</li>"
                        for p in people.DEMO_PEOPLE[1:])
        return (f"<!doctype html>{PAGE_HEAD}"
                "<title>Population database simulator</title><h1>Population database simulator</h1>"
                f"<p>{len(self.people)} fictional people · failure rate {self.failure_rate:g} · "
                f"slow {self.slow:g} s · garbage {'on' if self.garbage else 'off'} · {self.answered} answered</p>"
                f"<h2>Fictional people to sign up with (trial)</h2><ul>{tries}</ul>"
                "<h2>Look-ups answered</h2><table border=1 cellpadding=4>"
                f"<tr><th>Time<th>What<th>Citizen ID<th>Answer</tr>{rows}</table>")

    # --- HTTP ------------------------------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(SimulatorHandler):

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if urlsplit(self.path).path in ("", "/"):
                    self._send(200, sim.page().encode(), "text/html; charset=utf-8")
                else:
                    self._json(404, {"MaLoi": "02", "MoTa": "not found"})

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(min(length, 100_000))
                path = urlsplit(self.path).path.rstrip("/")
                authorization = self.headers.get("Authorization", "")
                if path == "/_sim/config":
                    status, _answer = sim.issue_token(authorization, {"grant_type": ["client_credentials"]})
                    if status != 200:
                        self._json(401, {"MaLoi": "03", "MoTa": ERRORS["03"]})
                        return
                    body = json.loads(raw or b"{}")
                    with sim.lock:
                        sim.failure_rate = float(body.get("failure_rate", sim.failure_rate))
                        sim.slow = float(body.get("slow", sim.slow))
                        sim.garbage = bool(body.get("garbage", sim.garbage))
                    self._json(200, {"MaLoi": "00"})
                    return
                with sim.lock:
                    slow, garbage = sim.slow, sim.garbage
                    failing = sim.random.random() < sim.failure_rate
                if slow:
                    time.sleep(slow)
                if failing:
                    self._json(503, {"MaLoi": "99", "MoTa": "Hệ thống tạm thời gián đoạn"})
                    return
                if garbage:
                    self._send(200, b"<html>502 Bad Gateway</html>", "text/html")
                    return
                if path == client.TOKEN_PATH:
                    form = parse_qs(raw.decode("utf-8", "replace"))
                    self._json(*sim.issue_token(authorization, form))
                    return
                if path not in (client.LOOKUP_PATH, client.VERIFY_PATH):
                    self._json(404, {"MaLoi": "02", "MoTa": "not found"})
                    return
                if not sim.authorized(authorization):
                    self._json(401, {"MaLoi": "03", "MoTa": ERRORS["03"]})
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = None
                number = str(body.get("SoDinhDanh", "")) if isinstance(body, dict) else ""
                if path == client.LOOKUP_PATH:
                    status, answer = sim.lookup(body)
                    sim.note("lookup", number, answer.get("MaLoi", "") + (" found" if status == 200 else ""))
                else:
                    status, answer = sim.verify(body)
                    sim.note("verify", number, str(answer.get("KetQua") or answer.get("MaLoi")))
                self._json(status, answer)

        return Handler

    def serve(self, host: str, port: int) -> None:
        serve_forever(host, port, self.handler())
