"""A stand-in for a language model behind an OpenAI-compatible API (``POST /v1/chat/completions``), so that the
assistant's optional rephrasing runs for real on a laptop and in the tests (``motcua llm_sim``).

It rephrases deterministically: the user message ``[code] summary`` becomes ``Tóm lại, thủ tục code: summary``.
``POST /_sim/config`` with ``{"mode": "cite" | "forget_code" | "garbage", "slow": seconds}`` makes it drop the
procedure's code from its reply, answer something that is not JSON, or wait before answering (for the tests).
``GET /`` says how many completions it answered.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

from motcua.core.simulators import SimulatorHandler, serve_forever

_CODE = re.compile(r"^\[([^\]]+)\]\s*(.*)$", re.S)


class LlmSimulator:
    def __init__(self) -> None:
        self.mode = "cite"
        self.slow = 0.0
        self.answered = 0
        self.lock = threading.Lock()

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages") or []
        user = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
        found = _CODE.match(user.strip())
        code, summary = (found.group(1), found.group(2)) if found else ("", user)
        summary = summary.replace(code, "…").strip()
        text = f"Tóm lại, thủ tục {code}: {summary}" if self.mode == "cite" else f"Tóm lại: {summary}"
        with self.lock:
            self.answered += 1
        return {"id": f"sim-{self.answered}", "object": "chat.completion", "model": body.get("model", "sim"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}]}

    def handler(self) -> type[SimulatorHandler]:
        simulator = self

        class Handler(SimulatorHandler):
            def _body(self) -> dict[str, Any]:
                length = min(int(self.headers.get("Content-Length") or 0), 1024 * 1024)
                try:
                    data = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    return {}
                return data if isinstance(data, dict) else {}

            def do_GET(self) -> None:  # noqa: N802 - the base class's name
                self._send(200, f"LLM simulator: {simulator.answered} completions, mode {simulator.mode}\n"
                                .encode(), "text/plain; charset=utf-8")

            def do_POST(self) -> None:  # noqa: N802 - the base class's name
                body = self._body()
                if self.path == "/_sim/config":
                    simulator.mode = str(body.get("mode", simulator.mode))
                    simulator.slow = float(body.get("slow", simulator.slow))
                    self._json(200, {"mode": simulator.mode, "slow": simulator.slow})
                    return
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                if simulator.slow:
                    time.sleep(simulator.slow)
                if simulator.mode == "garbage":
                    self._send(200, b"<html>busy</html>", "text/html")
                    return
                self._json(200, simulator.complete(body))

        return Handler

    def serve(self, host: str, port: int) -> None:
        serve_forever(host, port, self.handler())
