"""The peers' two URLs: ``POST /peers/inbox`` (signed messages, ``incoming.receive``) and
``GET /.well-known/motcua-peer`` (this instance's code, name and public key: nothing personal).

Not pages: no template, no session, no CSRF (a message is authenticated by its signature)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from motcua.integrations.peers import INBOX_PATH, incoming, keys


def _body(request: HttpRequest, limit: int) -> bytes | None:
    if hasattr(request, "_body"):
        return request._body[: limit + 1]
    return request.read(limit + 1)


@csrf_exempt
@require_POST
def inbox(request: HttpRequest) -> JsonResponse:
    limit = int(settings.MOTCUA_PEER_MAX_BODY_MB) * 1024 * 1024
    body = _body(request, limit) or b""
    if len(body) > limit:
        status, answer = 413, {"error": "too_large", "message": {"en": "The message is too large.",
                                                                 "vi": "Thông điệp quá lớn."}}
    else:
        status, answer = incoming.receive(request.method or "POST", request.path, request.headers, body)
    response = JsonResponse(answer, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def well_known(request: HttpRequest) -> JsonResponse:
    pem = keys.public_pem()
    response = JsonResponse({"code": keys.instance_code(), "name": keys.instance_name(), "public_key": pem,
                             "fingerprint": keys.fingerprint(pem), "alg": "ed25519", "inbox": INBOX_PATH,
                             "protocol": "motcua-peer/1"})
    response["Cache-Control"] = "max-age=300"
    return response
