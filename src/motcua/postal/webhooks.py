"""The carrier's status webhook, ``POST /postal/carrier/webhook`` (``postal:carrier_webhook``).

Not a page: no template, no session, no CSRF (it is authenticated by its HMAC signature). Answered with a small
JSON body and the status the carrier acts on: 401 bad signature, 404 unknown waybill, 400 unreadable (each
recorded), 200 applied, stale (recorded) or duplicate (a no-op) — anything but 2xx makes the carrier send it again.
A batch (``{"Items": [row, …]}``, signed as a whole) is answered 200 with each row's outcome, or 401 whole
(``postal.services.shipments.receive``).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from motcua.core.web import raw_body
from motcua.postal.services import shipments

MAX_BODY = 1024 * 1024  # a batch of 500 updates fits


@csrf_exempt
@require_POST
def carrier_webhook(request: HttpRequest) -> JsonResponse:
    body = raw_body(request, MAX_BODY)
    answer = shipments.receive(body, timestamp=request.headers.get("X-Timestamp", ""),
                               signature=request.headers.get("X-Signature", ""))
    response = JsonResponse(answer.body, status=answer.http_status)
    response["Cache-Control"] = "no-store"
    return response
