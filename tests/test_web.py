"""core/web.py: one client-address rule (trusted proxies only), one public address for links (the request's when
MOTCUA_PUBLIC_URL is unset, never a guessed port), the public tracking throttle, and the deploy checks."""

from __future__ import annotations

import json
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core.cache import cache
from django.test import Client, RequestFactory

from motcua.api.auth import issue_token
from motcua.core import checks
from motcua.core.web import client_ip, public_url
from motcua.notifications.models import Notification
from tests.conftest import APPLICANT, World

HOST = "dvc.example.test:9000"
PUBLIC = "https://dichvucong.quangninh.gov.vn"
UNKNOWN = "000.01.20.H22-261116-9999"


@pytest.fixture(autouse=True)
def fresh_cache(db: Any) -> Any:
    cache.clear()
    yield
    cache.clear()


# --- client_ip ---------------------------------------------------------------------------------------------


def request(**meta: str) -> Any:
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_only_the_connection_counts(settings: Any) -> None:
    settings.MOTCUA_TRUSTED_PROXIES = []
    assert client_ip(request(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")) == "203.0.113.7"


def test_a_spoofed_forwarded_header_from_an_untrusted_address_is_ignored(settings: Any) -> None:
    settings.MOTCUA_TRUSTED_PROXIES = ["10.0.0.0/8", "172.16.0.5"]
    assert client_ip(request(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")) == "203.0.113.7"


def test_a_trusted_proxy_names_the_client(settings: Any) -> None:
    settings.MOTCUA_TRUSTED_PROXIES = ["10.0.0.0/8", "172.16.0.5"]
    assert client_ip(request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")) == "198.51.100.1"
    # what the client wrote itself (left) proves nothing: the right-most address that is not ours is the client
    spoofed = request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1, 172.16.0.5")
    assert client_ip(spoofed) == "198.51.100.1"
    assert client_ip(request(REMOTE_ADDR="::ffff:10.0.0.2", HTTP_X_FORWARDED_FOR="[2001:db8::1]:443")) == "2001:db8::1"
    assert client_ip(request(REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"  # the proxy's own health check


def test_the_configured_header_is_the_one_read(settings: Any) -> None:
    settings.MOTCUA_TRUSTED_PROXIES = ["10.0.0.2"]
    settings.MOTCUA_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert client_ip(request(REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP="198.51.100.3",
                             HTTP_X_FORWARDED_FOR="198.51.100.9")) == "198.51.100.3"


def test_the_payment_gateway_is_given_the_same_address(settings: Any) -> None:
    from motcua.payments.webhooks import remote_addr as _remote_addr

    settings.MOTCUA_TRUSTED_PROXIES = []
    assert _remote_addr(request(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")) == "203.0.113.7"


# --- public_url --------------------------------------------------------------------------------------------


def qr_codes(pdf: bytes) -> list[str]:
    found = []
    for page in pdfium.PdfDocument(pdf):
        found += [barcode.text for barcode in zxingcpp.read_barcodes(page.render(scale=3).to_pil())]
    return found


def test_public_url_prefers_the_setting_then_the_request(settings: Any) -> None:
    settings.PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "dvc.example.test"]
    assert public_url("/tra-cuu/", request(HTTP_HOST=HOST)) == f"http://{HOST}/tra-cuu/"
    assert public_url("/tra-cuu/") == "/tra-cuu/"  # no request, no setting: no guessed host or port
    settings.PUBLIC_BASE_URL = PUBLIC
    assert public_url("/tra-cuu/", request(HTTP_HOST=HOST)) == f"{PUBLIC}/tra-cuu/"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("configured", ["", PUBLIC])
def test_messages_and_slips_link_to_the_address_the_request_came_to(world: World, settings: Any,
                                                                    configured: str) -> None:
    settings.PUBLIC_BASE_URL = configured
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "dvc.example.test"]
    settings.SMS_PROVIDER = "file"
    base = configured or f"http://{HOST}"
    reception = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users['tiepnhan'])}", HTTP_HOST=HOST)
    body = {"procedure": "1.000894", "channel": "counter", "applicant": {**APPLICANT, "email": "an@example.vn"},
            "components": [{"order": 1, "originals": 1}]}
    created = reception.post("/api/v1/dossiers", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    # rendered in the request (stored with the queued notification), sent later by the worker as stored
    texts = {n.channel: n.body for n in Notification.objects.filter(dossier__code=code)}
    assert f"{base}/tra-cuu/?ma={code}" in texts["email"]
    assert f"{base}/tra-cuu/" in texts["sms"]
    assert "8000" not in texts["email"] + texts["sms"]
    slip = reception.get(f"/api/v1/dossiers/{code}/slips/receipt.pdf")
    assert slip.status_code == 200
    assert qr_codes(slip.content)[0] == f"{base}/tra-cuu/?ma={code}"


# --- the public tracking throttle --------------------------------------------------------------------------


def test_tracking_is_limited_per_address_in_the_api(db: Any, settings: Any) -> None:
    settings.MOTCUA_TRACK_LIMIT_PER_MINUTE = 3
    prober = Client(REMOTE_ADDR="203.0.113.40")
    assert [prober.get(f"/api/v1/track/{UNKNOWN}").status_code for _ in range(3)] == [404, 404, 404]
    limited = prober.get(f"/api/v1/track/{UNKNOWN}")
    assert limited.status_code == 429
    assert limited.json()["error"] == "too_many_requests"
    assert set(limited.json()["message"]) == {"vi", "en"} and "Wait" in limited.json()["message"]["en"]
    assert 0 < int(limited["Retry-After"]) <= 60
    assert Client(REMOTE_ADDR="198.51.100.40").get(f"/api/v1/track/{UNKNOWN}").status_code == 404


def test_tracking_is_limited_per_address_on_the_page(db: Any, settings: Any) -> None:
    settings.MOTCUA_TRACK_LIMIT_PER_MINUTE = 3
    prober = Client(REMOTE_ADDR="203.0.113.41", HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(3):
        assert prober.get("/tra-cuu/", {"ma": UNKNOWN}).status_code == 404
    assert prober.get("/tra-cuu/").status_code == 200  # the empty form is no look-up
    page = prober.get("/tra-cuu/", {"ma": UNKNOWN})
    assert page.status_code == 429
    assert "Too many requests from your network address (IP). Wait" in page.content.decode()
    assert "<form" in page.content.decode()


# --- check --deploy ------------------------------------------------------------------------------------------


def ids(messages: list[Any]) -> set[str]:
    return {message.id for message in messages}


def test_deploy_check_warns_when_throttles_are_per_process(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert ids(checks.throttles_are_shared(None)) == {"motcua.W004"}  # the lockout is in the database
    settings.AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
    assert ids(checks.throttles_are_shared(None)) == {"motcua.W003", "motcua.W004"}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/3"}}
    assert checks.throttles_are_shared(None) == []


def test_deploy_check_warns_about_an_ignored_header_and_a_missing_public_url(settings: Any) -> None:
    settings.MOTCUA_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.MOTCUA_TRUSTED_PROXIES = []
    settings.PUBLIC_BASE_URL = ""
    assert ids(checks.client_address_is_configured(None)) == {"motcua.W005", "motcua.W006"}
    settings.MOTCUA_TRUSTED_PROXIES = ["10.0.0.2"]
    settings.PUBLIC_BASE_URL = PUBLIC
    assert checks.client_address_is_configured(None) == []
    settings.MOTCUA_TRUSTED_PROXIES = ["not-an-address"]
    assert ids(checks.trusted_proxies_are_valid(None)) == {"motcua.E002"}
