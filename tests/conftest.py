"""Shared fixtures: a small valid catalogue document, a province with agencies, the imported catalogue."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from motcua.agencies.models import Agency, AgencyKind
from motcua.catalog.services import import_catalog
from motcua.geo.models import AdministrativeUnit

FIELDS = [
    {"code": "HT", "name_vi": "Hộ tịch", "name_en": "Civil status"},
    {"code": "XD", "name_vi": "Xây dựng", "name_en": "Construction"},
]


def procedure(code: str = "1.000894", **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "code": code,
        "name_vi": "Đăng ký kết hôn",
        "name_en": "Marriage registration",
        "field": "HT",
        "level": "commune",
        "implementing_body": "Ủy ban nhân dân cấp xã",
        "processing_days": "5",
        "legal_basis": ["Luật Hộ tịch số 60/2014/QH13"],
        "online_level": "partial",
        "channels": ["online", "counter", "post_office"],
        "result_delivery": ["counter", "post"],
        "boundary_free": True,
        "results": [{"name_vi": "Giấy chứng nhận kết hôn", "name_en": "Marriage certificate"}],
        "components": [
            {"name_vi": "Tờ khai đăng ký kết hôn", "originals": 1, "copies": 0, "template_name": "TP/HT-2020-KH.1"},
            {"name_vi": "Giấy xác nhận tình trạng hôn nhân", "originals": 1, "copies": 0, "required": False,
             "reusable": True},
        ],
        "fees": [{"name_vi": "Lệ phí đăng ký kết hôn", "amount": 0, "note": "Miễn lệ phí"}],
        "workflow": [
            {"name_vi": "Tiếp nhận hồ sơ", "role": "reception", "agency_kind": "commune_one_stop", "days": "0.5"},
            {"name_vi": "Thẩm định", "role": "processing", "agency_kind": "people_committee", "days": "3"},
            {"name_vi": "Ký duyệt", "role": "leader", "agency_kind": "people_committee", "days": "1"},
            {"name_vi": "Trả kết quả", "role": "reception", "agency_kind": "commune_one_stop", "days": "0.5"},
        ],
        "effective_from": "2025-07-01",
    }
    record.update(overrides)
    return record


def catalog(*procedures: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": "motcua-catalog",
        "format_version": 1,
        "fields": copy.deepcopy(FIELDS),
        "procedures": list(procedures) or [
            procedure(),
            procedure(
                "1.009972", name_vi="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
                name_en="Construction permit for individual houses", field="XD", level="commune",
                processing_days="15", boundary_free=False,
                fees=[{"name_vi": "Lệ phí cấp giấy phép xây dựng", "amount": 75000, "note": ""}],
                workflow=[{"name_vi": "Thẩm định", "role": "processing", "agency_kind": "specialized", "days": "12"}],
            ),
        ],
    }


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


# --- a small province for the dossier lifecycle ----------------------------------------------------------

WORKFLOW = [
    {"name_vi": "Tiếp nhận hồ sơ", "role": "reception", "agency_kind": "commune_one_stop", "days": "0.5"},
    {"name_vi": "Thẩm định hồ sơ", "role": "processing", "agency_kind": "specialized", "days": "2"},
    {"name_vi": "Lãnh đạo phòng duyệt", "role": "leader", "agency_kind": "specialized", "days": "0.5"},
    {"name_vi": "Lãnh đạo UBND ký", "role": "signer", "agency_kind": "people_committee", "days": "0.5"},
    {"name_vi": "Trả kết quả", "role": "reception", "agency_kind": "commune_one_stop", "days": "0"},
]
STAFF = {
    "tiepnhan": [("000.01.20.H22", "reception")],
    "buudien": [("000.91.30.H22", "postal")],
    "chuyenvien": [("000.01.21.H22", "processing")],
    "chuyenvien2": [("000.01.21.H22", "processing")],
    "lanhdao": [("000.01.21.H22", "leader"), ("000.01.21.H22", "signer")],
    "tiepnhan.tinh": [("000.00.01.H22", "reception")],
    "tuphap": [("000.00.02.H22", "processing")],
    "kyso.tuphap": [("000.00.02.H22", "leader"), ("000.00.02.H22", "signer")],
}
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "022090001234", "phone": "0912345678",
             "address": "Tổ 3, khu 5, phường Hà Tu"}


class World:
    """Agencies, staff and two procedures: a commune-level one (5 working days, a 5-step workflow) received at
    the Hà Tu commune center and post office, and a province-level one handled by the Department of Justice."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        from motcua.agencies.models import Membership
        from motcua.catalog.models import Procedure

        province = AdministrativeUnit.objects.create(code="22", name="Quảng Ninh", kind="province")
        ward = AdministrativeUnit.objects.create(code="06652", name="Phường Hà Tu", kind="ward", parent=province)
        make = Agency.objects.create
        self.center = make(identifier_code="000.00.01.H22", name="Trung tâm Phục vụ hành chính công tỉnh",
                           kind=AgencyKind.SERVICE_CENTER, unit=province)
        self.justice = make(identifier_code="000.00.02.H22", name="Sở Tư pháp", kind=AgencyKind.SPECIALIZED,
                            unit=province)
        self.commune = make(identifier_code="000.01.20.H22", name="Trung tâm Phục vụ hành chính công phường Hà Tu",
                            kind=AgencyKind.COMMUNE_ONE_STOP, unit=ward, parent=self.center)
        self.committee = make(identifier_code="000.01.21.H22", name="Ủy ban nhân dân phường Hà Tu",
                              kind=AgencyKind.PEOPLE_COMMITTEE, unit=ward)
        self.post = make(identifier_code="000.91.30.H22", name="Điểm Bưu điện Hà Tu", kind=AgencyKind.POST_OFFICE,
                         unit=ward, parent=self.center)
        doc = catalog(
            procedure(
                processing_days="5", workflow=WORKFLOW, boundary_free=False,
                agencies=[self.commune.identifier_code, self.post.identifier_code],
                result_delivery=["counter", "post", "electronic"], online_level="full",
                channels=["online", "counter", "post_office", "home_pickup"],
                fees=[{"name_vi": "Lệ phí", "amount": 30000, "note": ""}],
                effective_from="2018-01-01",
            ),
            procedure(
                "2.000488", name_vi="Cấp Phiếu lý lịch tư pháp", name_en="Judicial record", field="HT",
                level="province", processing_days="10", boundary_free=False, agencies=[self.center.identifier_code],
                workflow=[
                    {"name_vi": "Tiếp nhận", "role": "reception", "agency_kind": "service_center", "days": "0.5"},
                    {"name_vi": "Xác minh", "role": "processing", "agency_kind": "specialized", "days": "8"},
                    {"name_vi": "Ký", "role": "signer", "agency_kind": "specialized", "days": "1"},
                    {"name_vi": "Trả kết quả", "role": "reception", "agency_kind": "service_center", "days": "0.5"},
                ],
                effective_from="2018-01-01",
            ),
        )
        import_catalog(doc)
        Procedure.objects.filter(code="2.000488").update(processing_agency=self.justice)
        users = get_user_model().objects
        self.users = {}
        for username, memberships in STAFF.items():
            user = users.create_user(username, password="motcua-demo", last_name="Cán bộ", first_name=username)
            for code, role in memberships:
                Membership.objects.create(user=user, agency=Agency.objects.get(identifier_code=code), role=role)
            self.users[username] = user

    def actor(self, username: str) -> Any:
        from motcua.dossiers.actors import Actor

        return Actor.for_user(self.users[username])


@pytest.fixture
def world(db: Any) -> World:
    return World()


def pdf_bytes(text: str = "kết quả") -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def fast_password_hasher(settings: Any) -> None:
    """Hashing passwords properly takes 0.3 s each; tests create many accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- a real Chromium for the browser tests -----------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "vi-VN"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Any:
    """Debian's Chromium through Playwright; skipped when missing, unless MOTCUA_REQUIRE_BROWSER is set (CI)."""
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        if os.environ.get("MOTCUA_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (apt-get install chromium) but /usr/bin/chromium is missing")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def fits(page: Any) -> bool:
    """Nothing on the page is wider than the screen (no sideways scrolling on a phone)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def header_link(page: Any, selector: str) -> None:
    """Click a link of the page header, opening the menu first where it is folded (phones)."""
    toggle = page.locator("#mc-menu-toggle")
    if toggle.is_visible():
        toggle.click()
    page.locator(f"#mc-menu {selector}").first.click()


@pytest.fixture
def phone(browser: Any) -> Any:
    """A new page in a phone-sized context (390×844, touch, Vietnamese)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def deliver_notifications(hooks: bool = True) -> None:
    """What the end of a request's transaction and the background worker do, inside a test's transaction:
    run the on-commit hooks registered so far (they enqueue the notifications), then every task that is due,
    with the real worker's ``run_task`` (its ``run`` loop would close the test's connection on PostgreSQL).
    ``hooks=False`` where the test ran the hooks itself (``django_capture_on_commit_callbacks``)."""
    from django.db import connection
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    while hooks and connection.run_on_commit:
        _savepoints, callback, _robust = connection.run_on_commit.pop(0)
        callback()
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="tests", excluded_queue_names=[])
    while (task := DBTaskResult.objects.ready().first()) is not None:
        task.claim(worker.worker_id)
        worker.run_task(task)
