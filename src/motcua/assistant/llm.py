"""The optional language model: an OpenAI-compatible ``/v1/chat/completions`` endpoint that only rephrases the short
summary of an answer (``MOTCUA_ASSISTANT_LLM_URL``; off when empty). The facts (documents, fees, time) never come
from it: they are the catalogue's. A reply that does not cite the procedure's code, an error or a time-out is
ignored and the plain summary is shown (``motcua llm_sim`` is a local stand-in for the tests and the demo)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings

log = logging.getLogger("motcua.assistant")

SYSTEM_PROMPT = (
    "Bạn là trợ lý ảo của bộ phận một cửa. Viết lại đoạn tóm tắt sau bằng tiếng Việt dễ hiểu, ngắn gọn, "
    "không thêm thông tin nào khác và giữ nguyên mã thủ tục trong ngoặc vuông."
)
MAX_REPLY = 1200


def enabled() -> bool:
    return bool(settings.MOTCUA_ASSISTANT_LLM_URL)


def rephrase(summary: str, code: str) -> str | None:
    """The model's rephrasing of ``summary``, or ``None`` (off, failed, timed out, or the code not cited)."""
    if not enabled():
        return None
    body = json.dumps({
        "model": settings.MOTCUA_ASSISTANT_LLM_MODEL,
        "temperature": 0,
        "max_tokens": 300,
        "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                     {"role": "user", "content": f"[{code}] {summary}"}],
    }).encode()
    headers = {"Content-Type": "application/json"}
    if settings.MOTCUA_ASSISTANT_LLM_KEY:
        headers["Authorization"] = f"Bearer {settings.MOTCUA_ASSISTANT_LLM_KEY}"
    url = settings.MOTCUA_ASSISTANT_LLM_URL.rstrip("/") + "/v1/chat/completions"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - a setting
    try:
        with urllib.request.urlopen(request, timeout=settings.MOTCUA_ASSISTANT_LLM_TIMEOUT) as response:  # noqa: S310
            reply = json.loads(response.read(64 * 1024))
        text = str(reply["choices"][0]["message"]["content"]).strip()
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("assistant: the language model did not answer (%s); the plain summary is shown", exc)
        return None
    if code not in text or not text or len(text) > MAX_REPLY:
        log.info("assistant: the language model's reply does not cite %s; the plain summary is shown", code)
        return None
    return text
