"""A simulator of Zalo's official-account platform (``motcua zalo_sim``): a small HTTP server speaking the Open API
that ``notifications.zalo`` calls, and playing the citizens who follow the OA, so that Zalo runs for real on a
laptop and in the tests.

* ``POST /v4/oa/access_token`` (OAuth): a refresh token (the configured first one, or one it issued, each usable
  once) for a new access token and a new refresh token; ``secret_key`` header checked.
* ``POST /v3.0/oa/message/cs`` and ``/transaction``: ``access_token`` header checked (``-216``), the recipient must
  follow the OA (``-213``), a text is needed (``-201``); the message is kept and shown.
* ``GET /``: the page "Zalo OA simulator": followers, messages both ways, and forms to act as a citizen — follow,
  send a text, unfollow — which POST the signed webhook event to MotCua (``--webhook``).
* ``POST /_sim/follow``, ``/_sim/send``, ``/_sim/unfollow`` (form or JSON: ``user_id``, ``name``, ``text``), the
  same actions for the tests; ``GET /_sim/messages?user_id=`` the messages sent to a follower (JSON);
  ``POST /_sim/config`` (JSON, ``secret_key`` header): ``failure_rate`` (HTTP 503), ``token_seconds``,
  ``expire_tokens`` (every access token given so far stops working).
"""

from __future__ import annotations

import html
import json
import random
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from motcua.core.simulators import SimulatorHandler, serve_forever
from motcua.integrations.population.simulator import PAGE_HEAD
from motcua.integrations.zalo import signature

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MESSAGE_PATHS = ("/v3.0/oa/message/cs", "/v3.0/oa/message/transaction")
TOKEN_PATH = "/v4/oa/access_token"  # noqa: S105 - a URL path


class Simulator:
    def __init__(self, *, app_id: str, secret_key: str, oa_id: str, oa_secret: str, refresh_token: str,
                 webhook: str = "", token_seconds: int = 90000, seed: int = 15) -> None:
        self.app_id, self.secret_key, self.oa_id, self.oa_secret = app_id, secret_key, oa_id, oa_secret
        self.initial_refresh = refresh_token
        self.webhook = webhook
        self.token_seconds = token_seconds
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.failure_rate = 0.0
        self.access: dict[str, float] = {}
        self.refresh: set[str] = set()
        self.followers: dict[str, str] = {}  # user ID → display name
        self.log: list[dict[str, Any]] = []  # newest last: {time, direction, user_id, text, id}
        self.refreshes = 0

    # --- the API ---------------------------------------------------------------------------------------------

    def issue_token(self, secret_key: str, form: dict[str, list[str]]) -> dict[str, Any]:
        refresh = form.get("refresh_token", [""])[0]
        if not secrets.compare_digest(secret_key, self.secret_key) or form.get("app_id", [""])[0] != self.app_id:
            return {"error": -14002, "error_name": "Invalid app", "error_description": "Invalid app id or secret"}
        if form.get("grant_type", [""])[0] != "refresh_token":
            return {"error": -14003, "error_description": "Invalid grant type"}
        with self.lock:
            if refresh in self.refresh:
                self.refresh.discard(refresh)  # a refresh token is used once
            elif not (refresh and secrets.compare_digest(refresh, self.initial_refresh)):
                return {"error": -14014, "error_name": "Invalid refresh token",
                        "error_description": "Refresh token is invalid or used"}
            access, new_refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
            self.access[access] = time.monotonic() + self.token_seconds
            self.refresh.add(new_refresh)
            self.refreshes += 1
        return {"access_token": access, "refresh_token": new_refresh, "expires_in": str(self.token_seconds)}

    def send(self, token: str, body: Any) -> dict[str, Any]:
        with self.lock:
            if self.access.get(token, 0.0) <= time.monotonic():
                return {"error": -216, "message": "Access token is invalid"}
        recipient = body.get("recipient") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        user_id = str(recipient.get("user_id", "")) if isinstance(recipient, dict) else ""
        text = _text_of(message)
        if not user_id or not text:
            return {"error": -201, "message": "Parameters are invalid"}
        with self.lock:
            if user_id not in self.followers:
                return {"error": -213, "message": "User has not followed OA"}
            message_id = secrets.token_hex(16)
            self.log.append({"time": _now(), "direction": "out", "user_id": user_id, "text": text, "id": message_id})
            del self.log[:-500]
        return {"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": user_id}}

    # --- the citizens ----------------------------------------------------------------------------------------

    def event(self, name: str, user_id: str, text: str = "") -> tuple[int, str]:
        """Send a signed event to MotCua's webhook; (its HTTP status, its answer)."""
        timestamp = str(int(time.time() * 1000))
        event: dict[str, Any] = {"app_id": self.app_id, "event_name": name, "timestamp": timestamp,
                                 "oa_id": self.oa_id}
        if name == "user_send_text":
            msg_id = secrets.token_hex(16)
            event.update(sender={"id": user_id}, recipient={"id": self.oa_id},
                         message={"text": text, "msg_id": msg_id}, user_id_by_app=user_id)
            with self.lock:
                self.log.append({"time": _now(), "direction": "in", "user_id": user_id, "text": text, "id": msg_id})
        else:
            event.update(follower={"id": user_id}, source="qr_code", user_id_by_app=user_id)
        body = json.dumps(event, ensure_ascii=False).encode()
        if not self.webhook:
            return 0, "no webhook"
        mac = signature.mac(app_id=self.app_id, body=body, timestamp=timestamp, oa_secret=self.oa_secret)
        request = urllib.request.Request(self.webhook, data=body, method="POST", headers={  # noqa: S310
            "Content-Type": "application/json", signature.HEADER: mac})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the configured site
                return response.status, response.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(2000).decode("utf-8", "replace")
        except OSError as exc:
            return 0, str(exc)

    def act(self, action: str, fields: dict[str, str]) -> dict[str, Any]:
        user_id = fields.get("user_id", "").strip()
        if action == "follow":
            user_id = user_id or str(self.random.randrange(10 ** 18, 10 ** 19))
            with self.lock:
                self.followers[user_id] = fields.get("name", "").strip()[:80] or f"Người dùng {user_id[-4:]}"
            status, answer = self.event("follow", user_id)
        elif action == "unfollow":
            with self.lock:
                self.followers.pop(user_id, None)
            status, answer = self.event("unfollow", user_id)
        else:
            status, answer = self.event("user_send_text", user_id, fields.get("text", "").strip()[:2000])
        return {"user_id": user_id, "webhook_status": status, "webhook_answer": answer}

    def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.log if m["user_id"] == user_id and m["direction"] == "out"]

    def page(self) -> str:
        with self.lock:
            followers = dict(self.followers)
            log = list(reversed(self.log[-100:]))
        options = "".join(f"<option value='{html.escape(u)}'>{html.escape(n)} · {html.escape(u)}</option>"
                          for u, n in followers.items())
        rows = "".join(
            f"<tr><td>{m['time']}</td><td>{'→ OA' if m['direction'] == 'in' else '← OA'}</td>"
            f"<td>{html.escape(followers.get(m['user_id'], m['user_id']))}</td>"
            f"<td style='white-space:pre-wrap'>{html.escape(m['text'])}</td></tr>" for m in log)
        people = "".join(f"<li>{html.escape(n)} · <code>{html.escape(u)}</code></li>" for u, n in followers.items())
        return (f"<!doctype html>{PAGE_HEAD}<title>Zalo OA simulator</title><h1>Zalo OA simulator</h1>"
                f"<p>OA {html.escape(self.oa_id)} · webhook {html.escape(self.webhook or '—')} · "
                f"failure rate {self.failure_rate:g} · {self.refreshes} token refreshes</p>"
                "<h2>Follow the OA (as a citizen who scanned the QR code)</h2>"
                "<form method=post action='/_sim/follow'><label>Name <input name=name required></label> "
                "<button>Follow</button></form>"
                f"<h2>Followers</h2><ul>{people or '<li>none</li>'}</ul>"
                "<h2>Send a message to the OA</h2><form method=post action='/_sim/send'>"
                f"<p><label>As <select name=user_id required>{options}</select></label></p>"
                "<p><label>Text <input name=text required size=30 placeholder='MC 123456'></label> "
                "<button>Send</button></p></form>"
                "<form method=post action='/_sim/unfollow'>"
                f"<label>Unfollow <select name=user_id required>{options}</select></label> <button>Unfollow</button>"
                "</form><h2>Messages</h2><table border=1 cellpadding=4>"
                f"<tr><th>Time<th>Way<th>Who<th>Text</tr>{rows}</table>")

    # --- HTTP ------------------------------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(SimulatorHandler):

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                if parts.path in ("", "/"):
                    self._send(200, sim.page().encode(), "text/html; charset=utf-8")
                elif parts.path == "/_sim/messages":
                    user_id = parse_qs(parts.query).get("user_id", [""])[0]
                    self._json(200, {"messages": sim.messages_to(user_id)})
                else:
                    self._json(404, {"error": -404, "message": "not found"})

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(min(length, 100_000))
                path = urlsplit(self.path).path.rstrip("/")
                if path.startswith("/_sim/"):
                    self._simulate(path[len("/_sim/"):], raw)
                    return
                with sim.lock:
                    failing = sim.random.random() < sim.failure_rate
                if failing:
                    self._json(503, {"error": -32, "message": "Service unavailable"})
                elif path == TOKEN_PATH:
                    form = parse_qs(raw.decode("utf-8", "replace"))
                    self._json(200, sim.issue_token(self.headers.get("secret_key", ""), form))
                elif path in MESSAGE_PATHS:
                    try:
                        body = json.loads(raw or b"{}")
                    except ValueError:
                        body = None
                    self._json(200, sim.send(self.headers.get("access_token", ""), body))
                else:
                    self._json(404, {"error": -404, "message": "not found"})

            def _simulate(self, action: str, raw: bytes) -> None:
                form = "application/x-www-form-urlencoded" in self.headers.get("Content-Type", "")
                if form:
                    fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
                else:
                    try:
                        loaded = json.loads(raw or b"{}")
                    except ValueError:
                        loaded = {}
                    fields = {str(k): v for k, v in loaded.items()} if isinstance(loaded, dict) else {}
                if action == "config":
                    if not secrets.compare_digest(self.headers.get("secret_key", ""), sim.secret_key):
                        self._json(401, {"error": -14002})
                        return
                    with sim.lock:
                        sim.failure_rate = float(fields.get("failure_rate", sim.failure_rate))
                        sim.token_seconds = int(fields.get("token_seconds", sim.token_seconds))
                        if fields.get("expire_tokens"):
                            sim.access.clear()
                    self._json(200, {"error": 0})
                    return
                if action not in ("follow", "send", "unfollow"):
                    self._json(404, {"error": -404})
                    return
                answer = sim.act(action, {k: str(v) for k, v in fields.items()})
                if form:  # the page's forms: back to the page
                    self.send_response(303)
                    self.send_header("Location", "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._json(200, answer)

        return Handler

    def serve(self, host: str, port: int) -> None:
        serve_forever(host, port, self.handler())


def _now() -> str:
    return datetime.now(VN).strftime("%H:%M:%S")


def _text_of(message: Any) -> str:
    """The text of a consultation message, or the header and texts of a transaction message."""
    if not isinstance(message, dict):
        return ""
    if message.get("text"):
        return str(message["text"])
    attachment = message.get("attachment")
    payload = attachment.get("payload") if isinstance(attachment, dict) else None
    elements = payload.get("elements") if isinstance(payload, dict) else None
    if not isinstance(elements, list):
        return ""
    return "\n".join(str(e.get("content", "")) for e in elements
                     if isinstance(e, dict) and e.get("type") in ("header", "text") and e.get("content"))
