"""One sign-in lockout (django-axes, state in the database) for the staff workspace, the admin and the citizen
portal: locks per account and per client address, holds across processes, and believes only trusted proxies."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import connection
from django.test import Client

from motcua.accounts.models import Citizen

PASSWORD = "Mot-cua-2026!"
WORKSPACE = "/workspace/login/"
ADMIN = "/admin/login/"
CITIZEN = "/tai-khoan/dang-nhap/"
LOCKED = "Too many failed sign-ins. Wait 15 minute(s)"
SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.fixture
def officer(db: Any) -> Any:
    return get_user_model().objects.create_user("tiepnhan", password=PASSWORD, is_staff=True, is_superuser=True)


def english(**extra: Any) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", **extra)


@pytest.mark.parametrize("url", [WORKSPACE, ADMIN])
def test_forty_wrong_staff_passwords_then_the_right_one_is_refused(officer: Any, url: str) -> None:
    client = english(REMOTE_ADDR="203.0.113.10")
    for _ in range(40):
        assert client.post(url, {"username": "tiepnhan", "password": "guess"}).status_code in (200, 429)
    right = client.post(url, {"username": "tiepnhan", "password": PASSWORD})
    assert right.status_code == 429
    assert LOCKED in right.content.decode()  # on the sign-in page itself, translated, not axes's bare text
    assert "<form" in right.content.decode()
    assert SESSION_KEY not in client.session
    # from anywhere else too: the account is locked, not only this address
    elsewhere = english(REMOTE_ADDR="198.51.100.20")
    assert elsewhere.post(url, {"username": "tiepnhan", "password": PASSWORD}).status_code == 429
    assert SESSION_KEY not in elsewhere.session


def test_the_lock_message_is_in_the_visitors_language(officer: Any) -> None:
    client = Client(REMOTE_ADDR="203.0.113.10")  # Vietnamese by default
    for _ in range(5):
        client.post(WORKSPACE, {"username": "tiepnhan", "password": "guess"})
    page = client.post(WORKSPACE, {"username": "tiepnhan", "password": PASSWORD}).content.decode()
    assert "Đăng nhập sai quá nhiều lần. Vui lòng chờ 15 phút" in page


def test_a_successful_sign_in_clears_the_accounts_failures(officer: Any) -> None:
    client = english(REMOTE_ADDR="203.0.113.11")
    for _ in range(4):
        client.post(WORKSPACE, {"username": "tiepnhan", "password": "guess"})
    assert client.post(WORKSPACE, {"username": "tiepnhan", "password": PASSWORD}).status_code == 302
    assert not AccessAttempt.objects.filter(username="tiepnhan").exists()
    client.post("/workspace/logout/")
    for _ in range(4):
        client.post(WORKSPACE, {"username": "tiepnhan", "password": "guess"})
    assert client.post(WORKSPACE, {"username": "tiepnhan", "password": PASSWORD}).status_code == 302


def test_citizen_right_password_is_refused_after_five_failures(db: Any) -> None:
    user = get_user_model().objects.create_user("c-an", password=PASSWORD)
    Citizen.objects.create(user=user, kind="person", full_name="Nguyễn Văn An", id_number="022090001234",
                           phone="0912345678", email="an@example.com")
    client = english(REMOTE_ADDR="203.0.113.12")
    for identifier in ("0912345678", "an@example.com", "0912345678", "AN@example.com", "0912 345 678"):
        # the phone and the email name one account: their failures add up
        assert client.post(CITIZEN, {"identifier": identifier, "password": "guess"}).status_code == 200
    right = client.post(CITIZEN, {"identifier": "an@example.com", "password": PASSWORD})
    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert SESSION_KEY not in client.session


def test_a_flood_from_one_address_locks_that_address_only(officer: Any) -> None:
    flood = english(REMOTE_ADDR="203.0.113.13")
    for number in range(30):  # 30 accounts, one try each: no account reaches its own limit
        flood.post(WORKSPACE, {"username": f"user{number}", "password": "guess"})
    refused = flood.post(WORKSPACE, {"username": "tiepnhan", "password": PASSWORD})
    assert refused.status_code == 429 and LOCKED in refused.content.decode()
    assert english(REMOTE_ADDR="198.51.100.21").post(
        WORKSPACE, {"username": "tiepnhan", "password": PASSWORD}).status_code == 302


def test_clients_behind_a_trusted_proxy_do_not_lock_each_other_out(officer: Any, settings: Any) -> None:
    settings.ACCOUNTS_LOGIN_FAILURES_PER_IP = 3
    settings.MOTCUA_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for number in range(3):
        english(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").post(
            WORKSPACE, {"username": f"user{number}", "password": "guess"})
    assert english(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").post(
        WORKSPACE, {"username": "tiepnhan", "password": PASSWORD}).status_code == 429
    # another citizen behind the same proxy is not locked out by the first one's failures
    assert english(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.2").post(
        WORKSPACE, {"username": "tiepnhan", "password": PASSWORD}).status_code == 302


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(officer: Any, settings: Any) -> None:
    settings.ACCOUNTS_LOGIN_FAILURES_PER_IP = 3
    settings.MOTCUA_TRUSTED_PROXIES = ["10.0.0.0/8"]
    for number in range(3):  # a new X-Forwarded-For each time does not make a new client
        english(REMOTE_ADDR="203.0.113.14", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}").post(
            WORKSPACE, {"username": f"user{number}", "password": "guess"})
    assert english(REMOTE_ADDR="203.0.113.14", HTTP_X_FORWARDED_FOR="198.51.100.99").post(
        WORKSPACE, {"username": "tiepnhan", "password": PASSWORD}).status_code == 429


def test_the_identity_provider_callback_is_not_counted(officer: Any) -> None:
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().get("/tai-khoan/oidc/callback/", REMOTE_ADDR="203.0.113.15")
    assert authenticate(request, nonce="n", code_verifier="v") is None  # no backend signs anyone in here
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_lock_holds_across_two_processes(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs a database that another process can open (the SQLite test database is in memory)")
    get_user_model().objects.create_user("tiepnhan", password=PASSWORD)
    settings_dict = connection.settings_dict
    url = (f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
           f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")
    script = textwrap.dedent("""
        import django
        django.setup()
        from django.test import Client
        client = Client(REMOTE_ADDR="203.0.113.30")
        codes = [client.post("/workspace/login/", {"username": "tiepnhan", "password": "guess"}).status_code
                 for _ in range(5)]
        print(codes)
    """)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "motcua.config.settings",
           "PYTHONPATH": str(SRC), "MOTCUA_DATA_DIR": str(tmp_path), "REDIS_URL": ""}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    # this process has its own (local-memory) cache and saw none of those failures: the lock is in the database
    client = english(REMOTE_ADDR="198.51.100.30")
    right = client.post(WORKSPACE, {"username": "tiepnhan", "password": PASSWORD})
    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert SESSION_KEY not in client.session
