"""Citizen and business accounts: sign-up, verification of the contact, sign-in, my account, OpenID Connect.

The OpenID Connect tests drive a real provider (django-oauth-toolkit, ``tests/oidc_provider/``) in its own process,
over real HTTP: our backend fetches the token, the keys and the user's claims from it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from motcua.accounts.models import Citizen, VerificationCode
from motcua.agencies.models import Agency, Membership
from motcua.notifications import services as notifications
from tests.factories import PASSWORD, deliver_notifications, make_citizen, sign_in

SIGNUP = "/tai-khoan/dang-ky/"
LOGIN = "/tai-khoan/dang-nhap/"
VERIFY = "/tai-khoan/xac-minh/"
LOGOUT = "/tai-khoan/dang-xuat/"
PROFILE = "/tai-khoan/"
MY_DOSSIERS = "/ho-so-cua-toi/"
NEXT = "/thu-tuc/1.000894/?buoc=3"


@pytest.fixture
def client() -> Client:
    """Pages in English, the language the messages are written in (translations are added later)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the notification layer is asked to send (recorded, then really sent by ``notify`` itself)."""
    calls: list[dict[str, Any]] = []
    real = notifications.notify

    def recording(**kwargs: Any) -> None:
        calls.append(kwargs)
        real(**kwargs)

    monkeypatch.setattr(notifications, "notify", recording)
    return calls


def person(**overrides: str) -> dict[str, str]:
    data = {"kind": "person", "full_name": "Nguyễn  Văn An", "id_number": "022 090 001 234", "phone": "0912 345 678",
            "email": "An.Nguyen@Example.com", "password": PASSWORD, "password2": PASSWORD}
    data.update(overrides)
    return data


def mailed_code(index: int = -1) -> str:
    deliver_notifications()
    match = re.search(r"\b(\d{6})\b", mail.outbox[index].body)
    deliver_notifications()
    assert match, mail.outbox[index].body
    return match.group(1)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- sign-up and verification ----------------------------------------------------------------------------


def test_sign_up_signs_in_sends_a_code_and_verification_continues_to_next(client: Client, db: Any) -> None:
    response = client.post(SIGNUP, {**person(), "next": NEXT})
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY) and "next=" in response["Location"]
    citizen = Citizen.objects.get()
    assert (citizen.full_name, citizen.id_number, citizen.phone, citizen.email) == (
        "Nguyễn Văn An", "022090001234", "0912345678", "an.nguyen@example.com")
    assert citizen.user.username.startswith("c-") and citizen.user.check_password(PASSWORD)
    assert not citizen.verified
    assert int(client.session[SESSION_KEY]) == citizen.user.pk
    deliver_notifications()
    assert mail.outbox[0].to == ["an.nguyen@example.com"]
    stored = VerificationCode.objects.get()
    assert mailed_code() not in stored.code_hash and len(stored.code_hash) == 64  # only a keyed hash is kept

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "an•••@example.com" in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    done = client.post(VERIFY, {"action": "verify", "code": mailed_code(), "next": NEXT})
    assert done.status_code == 302 and done["Location"] == NEXT
    citizen.refresh_from_db()
    assert citizen.email_verified_at and citizen.verified and not citizen.phone_verified_at


def test_business_sign_up_with_a_tax_code(client: Client, db: Any) -> None:
    response = client.post(SIGNUP, {**person(kind="organization", full_name="Công ty TNHH Hạ Long",
                                             id_number="0100109106-001", phone="", email="ketoan@halong.vn")})
    assert response.status_code == 302
    citizen = Citizen.objects.get()
    assert (citizen.kind, citizen.id_number, citizen.phone) == ("organization", "0100109106-001", "")


def test_sign_up_errors_name_the_field_and_keep_what_was_typed(client: Client, db: Any) -> None:
    response = client.post(SIGNUP, person(id_number="123456789012", phone="12345", email="not-an-email",
                                          password="Secret-pass-1", password2="Secret-pass-2"))
    html = response.content.decode()
    assert response.status_code == 200 and not Citizen.objects.exists()
    assert "The citizen ID must have 12 digits" in html
    assert "The phone number must have 10 digits" in html
    assert "Enter a valid email address" in html
    assert "The two passwords do not match." in html
    for name in ("id_number", "phone", "email", "password2"):
        assert f'aria-describedby="id_{name}-error' in html, name
    assert 'value="123456789012"' in html and 'value="Nguyễn  Văn An"' in html and 'value="not-an-email"' in html
    assert "Secret-pass-1" not in html  # never the password

    tax = client.post(SIGNUP, person(kind="organization", id_number="0100109107", phone="", email="",
                                     password="12345678", password2="12345678")).content.decode()
    assert "The tax code must have 10 digits" in tax
    assert "Give a phone number or an email address (at least one)." in tax
    assert "This password is entirely numeric." in tax


def test_phone_and_email_are_unique_whatever_the_spelling(client: Client, db: Any) -> None:
    make_citizen(phone="0912345678", email="an@example.com")
    html = client.post(SIGNUP, person(phone="+84 912.345.678", email="AN@example.com")).content.decode()
    assert "This phone number cannot be used for a new account" in html
    assert "This email address cannot be used for a new account" in html
    assert Citizen.objects.count() == 1


def test_a_phone_only_account_gets_its_code_through_the_notification_layer(
    client: Client, db: Any, sent: list[dict[str, Any]]
) -> None:
    client.post(SIGNUP, person(email="", phone="+84987654321"))
    citizen = Citizen.objects.get()
    assert citizen.phone == "0987654321"
    [call] = sent
    assert call["template"] == "verify_code" and call["phone"] == "0987654321" and call["email"] == ""
    assert call["language"] == "en"  # the language the page was in
    sms = render_to_string("notifications/verify_code.sms.txt", call["context"])
    code = call["context"]["code"]
    assert code in sms and len(sms) <= 160
    assert client.post(VERIFY, {"action": "verify", "code": code}).status_code == 302
    citizen.refresh_from_db()
    assert citizen.phone_verified_at and citizen.verified


def test_wrong_codes_are_counted_and_five_end_the_code(client: Client, db: Any) -> None:
    client.post(SIGNUP, person(phone=""))
    code = mailed_code()
    first = client.post(VERIFY, {"action": "verify", "code": other_code(code)})
    assert "This code is wrong; 4 tries left." in first.content.decode()
    for _ in range(4):
        client.post(VERIFY, {"action": "verify", "code": other_code(code)})
    assert VerificationCode.objects.get().attempts == 5  # counted although each try was refused
    last = client.post(VERIFY, {"action": "verify", "code": code}).content.decode()
    assert "Too many wrong codes: ask for a new one." in last
    assert not Citizen.objects.get().verified
    assert client.post(VERIFY, {"action": "verify", "code": "12a"}).status_code == 200


def test_codes_expire_and_resending_waits_a_minute(client: Client, db: Any) -> None:
    client.post(SIGNUP, person(phone=""))
    old = mailed_code()
    too_soon = client.post(VERIFY, {"action": "send", "channel": "email"}).content.decode()
    assert re.search(r"Wait (59|60) seconds before asking for a new code\.", too_soon)
    deliver_notifications()
    assert len(mail.outbox) == 1
    ten_minutes_ago = timezone.now() - timedelta(minutes=10, seconds=1)
    VerificationCode.objects.update(created_at=ten_minutes_ago, expires_at=timezone.now())
    expired = client.post(VERIFY, {"action": "verify", "code": old}).content.decode()
    assert "Send a code by email to an•••@example.com" in expired
    assert "This code has expired: ask for a new one." in expired
    again = client.post(VERIFY, {"action": "send", "channel": "email"})
    deliver_notifications()
    assert again.status_code == 302 and len(mail.outbox) == 2
    new = mailed_code()
    if new != old:  # only the newest code counts
        assert "This code is wrong" in client.post(VERIFY, {"action": "verify", "code": old}).content.decode()
    assert client.post(VERIFY, {"action": "verify", "code": new}).status_code == 302
    assert Citizen.objects.get().email_verified_at


def test_verify_refuses_unsafe_next_and_needs_a_signed_in_citizen(client: Client, db: Any) -> None:
    anonymous = client.get(VERIFY + "?next=/ho-so-cua-toi/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(LOGIN + "?next=")
    client.post(SIGNUP, person(phone=""))
    done = client.post(VERIFY, {"action": "verify", "code": mailed_code(), "next": "https://evil.example/"})
    assert done["Location"] == MY_DOSSIERS


# --- sign-in and sign-out --------------------------------------------------------------------------------


def test_sign_in_with_phone_or_email_keeps_the_session_and_returns_to_next(client: Client, db: Any) -> None:
    citizen = make_citizen(phone="0912345678", email="an@example.com")
    session = client.session
    session["wizard_draft"] = {"procedure": "1.000894", "step": 3}
    session.save()
    page = client.get(LOGIN + "?next=" + requests.utils.quote(NEXT, safe=""))
    html = page.content.decode()
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html
    assert f'name="next" value="{NEXT}"'.replace("&", "&amp;") in html or "buoc=3" in html
    response = client.post(LOGIN, {"identifier": "+84 912 345 678", "password": PASSWORD, "next": NEXT})
    assert response.status_code == 302 and response["Location"] == NEXT
    assert int(client.session[SESSION_KEY]) == citizen.user.pk
    assert client.session["wizard_draft"] == {"procedure": "1.000894", "step": 3}  # the draft survived sign-in

    assert client.post(LOGOUT).status_code == 302
    assert SESSION_KEY not in client.session
    by_email = client.post(LOGIN, {"identifier": "AN@example.com", "password": PASSWORD, "next": "//evil.example/"})
    assert by_email["Location"] == MY_DOSSIERS  # an unsafe next is ignored: a citizen lands on their dossiers


def test_an_unverified_citizen_is_sent_to_verify_after_sign_in(client: Client, db: Any) -> None:
    make_citizen(phone="0912345678", verified=False)
    response = client.post(LOGIN, {"identifier": "0912345678", "password": PASSWORD, "next": NEXT})
    assert response["Location"].startswith(VERIFY + "?next=")
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [NEXT]


def test_failed_sign_ins_are_throttled_per_identifier(client: Client, db: Any) -> None:
    make_citizen(phone="0912345678")
    for _ in range(5):
        wrong = client.post(LOGIN, {"identifier": "0912345678", "password": "wrong-password"})
        assert "The phone number, email or password is wrong." in wrong.content.decode()
        assert 'value="0912345678"' in wrong.content.decode()
    blocked = client.post(LOGIN, {"identifier": "0912 345 678", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed sign-ins. Wait 15 minute(s)" in blocked.content.decode()
    assert SESSION_KEY not in client.session
    other = make_citizen(phone="0987654321")
    assert client.post(LOGIN, {"identifier": other.phone, "password": PASSWORD}).status_code == 302


def test_failed_sign_ins_are_throttled_per_address(client: Client, db: Any, settings: Any) -> None:
    settings.ACCOUNTS_LOGIN_FAILURES_PER_IP = 3
    citizen = make_citizen()
    for number in range(3):
        client.post(LOGIN, {"identifier": f"09000000{number:02d}9", "password": "guess"}, REMOTE_ADDR="203.0.113.9")
    assert client.post(LOGIN, {"identifier": citizen.phone, "password": PASSWORD},
                       REMOTE_ADDR="203.0.113.9").status_code == 429
    assert client.post(LOGIN, {"identifier": citizen.phone, "password": PASSWORD},
                       REMOTE_ADDR="198.51.100.7").status_code == 302


def test_staff_accounts_are_sent_to_the_workspace(client: Client, db: Any) -> None:
    get_user_model().objects.create_user("tiepnhan", password=PASSWORD)
    refused = client.post(LOGIN, {"identifier": "tiepnhan", "password": PASSWORD}).content.decode()
    assert "/workspace/login/" in refused and SESSION_KEY not in client.session
    wrong = client.post(LOGIN, {"identifier": "tiepnhan", "password": "nope"}).content.decode()
    assert "This is a staff account" not in wrong  # nothing told before the password is proven
    assert "The phone number, email or password is wrong." in wrong


def test_sign_out_is_a_post(client: Client, db: Any) -> None:
    sign_in(client, make_citizen())
    assert client.get(LOGOUT).status_code == 405
    assert SESSION_KEY in client.session


def test_header_links_for_visitors_and_citizens(client: Client, db: Any) -> None:
    visitor = client.get("/").content.decode()
    assert f'href="{LOGIN}?next=/"' in visitor and f'href="{SIGNUP}?next=/"' in visitor
    sign_in(client, make_citizen())
    citizen = client.get("/").content.decode()
    assert 'href="/ho-so-cua-toi/"' in citizen and f'href="{PROFILE}"' in citizen
    assert f'action="{LOGOUT}"' in citizen and f'href="{LOGIN}' not in citizen


# --- my account ------------------------------------------------------------------------------------------


def test_my_account_shows_the_details_and_their_verified_marks(client: Client, db: Any) -> None:
    assert client.get(PROFILE)["Location"] == LOGIN + "?next=%2Ftai-khoan%2F"
    citizen = make_citizen(phone="0912345678", email="an@example.com")
    sign_in(client, citizen)
    html = client.get(PROFILE).content.decode()
    assert "022090001234" in html and "0912345678" in html and "an@example.com" in html
    assert html.count(">verified<") == 1 and html.count(">not verified<") == 1  # phone yes, email no
    assert "?channel=email" in html


def test_a_changed_contact_must_be_verified_again(client: Client, db: Any) -> None:
    citizen = make_citizen(phone="", email="an@example.com")
    make_citizen(phone="0987654321")
    sign_in(client, citizen)
    taken = client.post(PROFILE, {"form": "contacts", "phone": "0987 654 321", "email": "an@example.com",
                                  "address": "Tổ 3"}).content.decode()
    assert "This phone number is used by another account." in taken and 'value="Tổ 3"' in taken
    response = client.post(PROFILE, {"form": "contacts", "phone": "", "email": "moi@example.com",
                                     "address": "Tổ 3, khu 5"})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    citizen.refresh_from_db()
    assert (citizen.email, citizen.email_verified_at, citizen.address) == ("moi@example.com", None, "Tổ 3, khu 5")
    deliver_notifications()
    assert not citizen.verified and mail.outbox[-1].to == ["moi@example.com"]
    assert client.get("/tai-khoan/xac-minh/")
    done = client.post(VERIFY, {"action": "verify", "code": mailed_code(), "next": PROFILE})
    assert done["Location"] == PROFILE
    citizen.refresh_from_db()
    assert citizen.email_verified_at


def test_change_password_and_language(client: Client, db: Any, sent: list[dict[str, Any]]) -> None:
    citizen = make_citizen(phone="0912345678", email="an@example.com")
    sign_in(client, citizen)
    wrong = client.post(PROFILE, {"form": "password", "old_password": "nope", "new_password": "Mat-khau-moi-9",
                                  "new_password2": "Mat-khau-moi-9"}).content.decode()
    assert "The current password is wrong." in wrong and 'aria-describedby="id_old_password-error' in wrong
    ok = client.post(PROFILE, {"form": "password", "old_password": PASSWORD, "new_password": "Mat-khau-moi-9",
                               "new_password2": "Mat-khau-moi-9"})
    assert ok.status_code == 302 and SESSION_KEY in client.session  # still signed in here
    citizen.user.refresh_from_db()
    assert citizen.user.check_password("Mat-khau-moi-9")

    assert "Choose Vietnamese, English or Spanish." in client.post(
        PROFILE, {"form": "language", "language": "fr"}).content.decode()
    response = client.post(PROFILE, {"form": "language", "language": "es"})
    assert response.cookies["django_language"].value == "es"
    citizen.refresh_from_db()
    assert citizen.language == "es"
    client.post(VERIFY, {"action": "send", "channel": "email"})  # messages follow the chosen language
    assert sent[-1]["language"] == "es" and sent[-1]["email"] == "an@example.com"


def test_pages_are_accessible_and_mobile_ready(client: Client, db: Any) -> None:
    for url in (LOGIN, SIGNUP):
        html = client.get(url).content.decode()
        assert '<meta name="viewport" content="width=device-width' in html
        assert html.count("<h1") == 1
        for input_id in re.findall(r'<input id="(id_[a-z_0-9]+)"', html):
            assert f'for="{input_id}"' in html, (url, input_id)
    signup = client.get(SIGNUP).content.decode()
    for token in ('autocomplete="tel"', 'autocomplete="email"', 'autocomplete="new-password"', 'type="tel"'):
        assert token in signup


# --- OpenID Connect against a real provider --------------------------------------------------------------

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
CALLBACK = "http://testserver/tai-khoan/oidc/callback/"


@dataclass
class Provider:
    url: str
    client_id: str = "motcua-portal"
    client_secret: str = "motcua-test-secret"  # noqa: S105

    def sign_in(self, authorize_url: str, username: str, password: str) -> str:
        """Sign in on the provider's page as a browser would; return where it sends the browser back to us."""
        browser = requests.Session()
        assert authorize_url.startswith(self.url + "/o/authorize/")
        relative = authorize_url[len(self.url):]
        page = browser.get(f"{self.url}/login/", params={"next": relative}, timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text
        response = browser.post(f"{self.url}/login/", timeout=10, allow_redirects=False, data={
            "csrfmiddlewaretoken": token.group(1), "username": username, "password": password, "next": relative})
        for _ in range(5):
            assert response.status_code == 302, response.text[:500]
            location = response.headers["Location"]
            if location.startswith(CALLBACK):
                return location
            response = browser.get(requests.compat.urljoin(self.url, location), timeout=10, allow_redirects=False)
        raise AssertionError("the provider never sent the browser back")


PROVIDER_USERS = [
    {"username": "an", "password": "vneid-pass-1", "first_name": "An", "last_name": "Nguyễn Văn",
     "email": "an.vneid@example.com",
     "claims": {"name": "Nguyễn Văn An", "citizen_id": "022090001234", "phone_number": "+84912000111",
                "phone_number_verified": True}},
    {"username": "binh", "password": "vneid-pass-2", "first_name": "Bình", "last_name": "Trần Thị",
     "email": "taken@example.com", "claims": {"citizen_id": "001190004321"}},
]


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """The OpenID Connect provider, in its own process with its own SQLite file, once for this module."""
    directory = tmp_path_factory.mktemp("oidc-provider")
    spec = Provider(url="")
    config = {"users": PROVIDER_USERS, "client": {"client_id": spec.client_id, "client_secret": spec.client_secret,
                                                   "redirect_uri": CALLBACK}}
    env = {**os.environ, "PROVIDER_DB": str(directory / "provider.sqlite3"), "PROVIDER_CONFIG": json.dumps(config)}
    log = (directory / "provider.log").open("w")
    process = subprocess.Popen([sys.executable, str(PROVIDER_DIR / "serve.py")], env=env, stdout=subprocess.PIPE,
                               stderr=log, text=True)
    timer = threading.Timer(60, process.kill)  # never hang the suite on a provider that does not start
    timer.start()
    try:
        line = process.stdout.readline() if process.stdout else ""
        timer.cancel()
        if not line.startswith("READY "):
            pytest.fail("the OIDC provider did not start: " + (directory / "provider.log").read_text()[-2000:])
        spec.url = f"http://127.0.0.1:{int(line.split()[1])}"
        requests.get(spec.url + "/o/.well-known/openid-configuration", timeout=10).raise_for_status()
        yield spec
    finally:
        timer.cancel()
        process.terminate()
        process.wait(10)
        log.close()


@pytest.fixture
def oidc(settings: Any, provider: Provider) -> Provider:
    settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = provider.url + "/o/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = provider.url + "/o/token/"
    settings.OIDC_OP_USER_ENDPOINT = provider.url + "/o/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = provider.url + "/o/.well-known/jwks.json"
    settings.OIDC_PROVIDER_NAME = "VNeID"
    return provider


def oidc_login(client: Client, provider: Provider, username: str, password: str, next_url: str = NEXT) -> Any:
    start = client.get("/tai-khoan/oidc/authenticate/", {"next": next_url})
    assert start.status_code == 302
    back = provider.sign_in(start["Location"], username, password)
    parts = urlsplit(back)
    assert "code" in parse_qs(parts.query) and "state" in parse_qs(parts.query)
    return client.get(f"{parts.path}?{parts.query}")


def test_oidc_is_off_without_a_client_id(client: Client, db: Any, settings: Any) -> None:
    settings.OIDC_RP_CLIENT_ID = ""
    assert client.get("/tai-khoan/oidc/authenticate/").status_code == 404
    assert client.get("/tai-khoan/oidc/callback/?code=x&state=y").status_code == 404
    assert "oidc" not in client.get(LOGIN).content.decode()
    # the backend stays inert: the password sign-in works as before
    citizen = make_citizen()
    assert client.post(LOGIN, {"identifier": citizen.phone, "password": PASSWORD}).status_code == 302


def test_oidc_sign_in_creates_a_verified_citizen_and_reuses_it(client: Client, db: Any, oidc: Provider) -> None:
    page = client.get(LOGIN + "?next=" + requests.utils.quote(NEXT, safe="")).content.decode()
    assert "Sign in with VNeID" in page and "/tai-khoan/oidc/authenticate/?next=" in page
    session = client.session
    session["wizard_draft"] = {"step": 2}
    session.save()

    response = oidc_login(client, oidc, "an", "vneid-pass-1")
    assert response.status_code == 302 and response["Location"] == NEXT
    citizen = Citizen.objects.get()
    assert citizen.oidc_subject and citizen.verified
    assert (citizen.full_name, citizen.id_number, citizen.email, citizen.phone) == (
        "Nguyễn Văn An", "022090001234", "an.vneid@example.com", "0912000111")
    assert citizen.email_verified_at and citizen.phone_verified_at
    assert not citizen.user.has_usable_password()
    assert int(client.session[SESSION_KEY]) == citizen.user.pk
    assert client.session["wizard_draft"] == {"step": 2}
    assert client.get(PROFILE).status_code == 200

    client.post(LOGOUT)
    again = oidc_login(client, oidc, "an", "vneid-pass-1", next_url="/")
    assert again["Location"] == "/"
    assert Citizen.objects.count() == 1 and int(client.session[SESSION_KEY]) == citizen.user.pk


def test_oidc_never_links_an_existing_account_by_email(client: Client, db: Any, oidc: Provider) -> None:
    existing = make_citizen(email="taken@example.com", phone="0912999888")
    response = oidc_login(client, oidc, "binh", "vneid-pass-2")
    assert response["Location"] == NEXT
    new = Citizen.objects.exclude(pk=existing.pk).get()
    assert int(client.session[SESSION_KEY]) == new.user.pk != existing.user.pk
    assert new.email == "" and new.id_number == "001190004321" and new.full_name == "Bình Trần Thị"
    existing.refresh_from_db()
    assert existing.oidc_subject is None


def test_oidc_refuses_a_tampered_state_and_staff(client: Client, center: Agency, oidc: Provider) -> None:
    start = client.get("/tai-khoan/oidc/authenticate/", {"next": NEXT})
    back = urlsplit(oidc.sign_in(start["Location"], "an", "vneid-pass-1"))
    query = parse_qs(back.query)
    tampered = client.get(back.path, {"code": query["code"][0], "state": query["state"][0] + "x"})
    assert tampered.status_code == 302 and tampered["Location"].startswith(LOGIN)
    assert SESSION_KEY not in client.session and not Citizen.objects.exists()
    assert "did not succeed" in client.get(tampered["Location"]).content.decode()

    # a staff member who somehow holds the provider subject of a citizen profile is never signed in here
    staff = get_user_model().objects.create_user("canbo", password=PASSWORD)
    Membership.objects.create(user=staff, agency=center, role="reception")
    response = oidc_login(client, oidc, "an", "vneid-pass-1")
    subject = Citizen.objects.get().oidc_subject
    client.post(LOGOUT)
    Citizen.objects.all().delete()
    Citizen.objects.create(user=staff, full_name="Cán bộ", oidc_subject=subject)
    response = oidc_login(client, oidc, "an", "vneid-pass-1")
    assert response["Location"].startswith(LOGIN) and SESSION_KEY not in client.session


# --- in a real browser, on a phone -----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sign_up_and_verify_on_a_phone(phone: Any, live_server: Any) -> None:
    """At 390 px wide, by keyboard: sign up, type the code received, land on the page asked for first."""
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    phone.goto(live_server.url + SIGNUP + "?next=/tai-khoan/")
    assert phone.evaluate(fits)
    phone.locator("#id_full_name").fill("Nguyễn Văn An")
    phone.locator("#id_id_number").fill("022090001234")
    phone.locator("#id_email").fill("an@example.com")
    phone.locator("#id_password").fill(PASSWORD)
    phone.locator("#id_password2").fill("something else")
    phone.locator("#id_password2").press("Enter")
    phone.wait_for_selector("#id_password2-error")
    assert phone.locator("#id_password2").get_attribute("aria-invalid") == "true"
    assert phone.locator("#id_email").input_value() == "an@example.com"  # kept
    assert phone.locator("#id_password").input_value() == ""  # never sent back
    assert phone.evaluate(fits)
    phone.locator("#id_password").fill(PASSWORD)
    phone.locator("#id_password2").fill(PASSWORD)
    phone.locator("#id_password2").press("Enter")
    phone.wait_for_url("**/tai-khoan/xac-minh/**")
    assert phone.evaluate(fits)
    code = phone.locator("#id_code")
    assert code.evaluate("el => el === document.activeElement")
    code.fill(mailed_code())
    code.press("Enter")
    phone.wait_for_url(live_server.url + PROFILE)
    assert phone.locator("h1").count() == 1 and phone.evaluate(fits)
    assert Citizen.objects.get().email_verified_at
