"""``POST /zalo/webhook``: the events of the official account (``incoming.receive``). Not a page: no template, no
session, no CSRF (an event is authenticated by its signature)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from motcua.integrations.zalo import incoming, signature

MAX_BODY = 256 * 1024


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> JsonResponse:
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        status, answer = 413, {"error": "too_large"}
    else:
        status, answer = incoming.receive(body, request.headers.get(signature.HEADER, ""))
    response = JsonResponse(answer, status=status)
    response["Cache-Control"] = "no-store"
    return response
