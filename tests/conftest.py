"""Fixtures only: the builders they call live in ``tests/factories.py``; tests import from there, never from here."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db.backends.sqlite3.base import DatabaseOperations as SQLiteOperations
from django.test import override_settings
from playwright.sync_api import sync_playwright
from zeal import zeal_context, zeal_ignore
from zeal.constants import initialize_app_registry
from zeal.patch import patch as patch_for_zeal

from motcua.agencies.models import Agency, AgencyKind
from motcua.catalog.services import import_catalog
from motcua.geo.models import AdministrativeUnit
from motcua.signing.services import forget_signers
from tests.browsing import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.factories import World, catalog
from tests.nplusone import SEPARATE_CALLS, ZEAL_ALLOWLIST
from tests.pki import DemoPki, start_demo_pki


@pytest.fixture
def province(db: Any) -> AdministrativeUnit:
    return AdministrativeUnit.objects.create(code="22", name="Quảng Ninh", kind="province")


@pytest.fixture
def center(province: AdministrativeUnit) -> Agency:
    return Agency.objects.create(
        identifier_code="000.00.01.H22", name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh",
        kind=AgencyKind.SERVICE_CENTER, unit=province, hotline="0203 3 656 656",
    )


@pytest.fixture
def imported(db: Any, center: Agency) -> dict[str, Any]:
    doc = catalog()
    doc["procedures"][0]["agencies"] = [center.identifier_code]
    import_catalog(doc)
    return doc


@pytest.fixture
def world(db: Any) -> World:
    return World()


@pytest.fixture(scope="session", autouse=True)
def nplusone_detection() -> None:
    """django-zeal, only in the tests: patch the ORM once, raise on an N+1, count per request (the live server's
    too, which is why the middleware is added here, before any server starts)."""
    initialize_app_registry()
    patch_for_zeal()
    django_settings.ZEAL_RAISE = True
    django_settings.ZEAL_ALLOWLIST = ZEAL_ALLOWLIST
    django_settings.MIDDLEWARE = ["tests.nplusone.nplusone_per_request", *django_settings.MIDDLEWARE]


@pytest.fixture(autouse=True)
def no_nplusone(nplusone_detection: None) -> Any:
    with zeal_context(), zeal_ignore(SEPARATE_CALLS):
        yield


@pytest.fixture(autouse=True)
def fast_password_hasher(settings: Any) -> None:
    """Hashing passwords properly takes 0.3 s each; tests create many accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def flush_past_event_triggers() -> Any:
    """The event table refuses DELETE (migration ``dossiers.0006_event_append_only``). PostgreSQL empties a
    transactional test's database with TRUNCATE, which row triggers ignore; SQLite deletes rows, so its flush
    drops the triggers and creates them again in the same transaction."""
    triggers = importlib.import_module("motcua.dossiers.migrations.0006_event_append_only")
    original = SQLiteOperations.sql_flush

    def sql_flush(self: SQLiteOperations, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if not statements:
            return statements
        return [*triggers.SQLITE_REVERSE, *statements, *triggers.SQLITE]

    SQLiteOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    SQLiteOperations.sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def demo_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPki]:
    """A demo PKI in a temporary directory, served by a real ``motcua pki_serve`` (OCSP, CRL, TSA) on a free
    port; the settings point at it for the rest of the session (tests/pki.py)."""
    pki = start_demo_pki(tmp_path_factory.mktemp("pki"))
    override = override_settings(**pki.settings())
    override.enable()
    forget_signers()
    yield pki
    override.disable()
    forget_signers()
    pki.stop()


# --- a real Chromium for the browser tests -----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Any:
    """Debian's Chromium through Playwright; skipped when missing, unless MOTCUA_REQUIRE_BROWSER is set (CI)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("MOTCUA_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (apt-get install chromium) but /usr/bin/chromium is missing")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def phone(browser: Any) -> Any:
    """A new page in a phone-sized context (390×844, touch, Vietnamese)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
