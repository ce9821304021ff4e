"""Builders of test data: catalogue documents, a small province with its staff, citizens' accounts, dossiers
in a given status, payments, files, and running the background work a request leaves behind.

Tests import from here (never from ``conftest.py``, which only holds fixtures)::

    from tests.factories import APPLICANT, World, make_citizen, receive

Each builder goes through the services the application itself uses (``import_catalog``, ``create_dossier``,
``perform``), so the data they make is data the application could have made.
"""

from __future__ import annotations

import copy
import importlib
import io
import itertools
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from pypdf import PdfWriter

from motcua.accounts.models import Citizen, CitizenKind
from motcua.agencies.models import Agency, AgencyKind, Counter, Membership
from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.catalog.services import import_catalog
from motcua.core.calendar import VN_TZ
from motcua.demo import AGENCIES_FILE, CATALOG_FILE, DEMO_PASSWORD
from motcua.documents.models import DocumentKind, StoredDocument
from motcua.dossiers import services as dossier_services
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.feedback import services as feedback_services
from motcua.feedback.models import Petition, Rating, RatingChannel
from motcua.geo.models import AdministrativeUnit
from motcua.payments import selectors as payment_selectors
from motcua.payments import services as payment_services
from motcua.payments.models import Payment, PaymentStatus

# --- catalogue documents (the import format) ----------------------------------------------------------------

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

    def __init__(self, *, signed_results: bool = False) -> None:
        """``signed_results``: results must be signed (the law's default; the signing tests start a demo PKI);
        otherwise the procedures allow unsigned results, so that lifecycle tests issue without a PKI."""
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
        ProcedureVersion.objects.update(unsigned_results_allowed=not signed_results)
        users = get_user_model().objects
        self.users = {}
        for username, memberships in STAFF.items():
            user = users.create_user(username, password="motcua-demo", last_name="Cán bộ", first_name=username)
            for code, role in memberships:
                Membership.objects.create(user=user, agency=Agency.objects.get(identifier_code=code), role=role)
            self.users[username] = user

    def actor(self, username: str) -> Actor:
        return Actor.for_user(self.users[username])


# --- the part of the demo province the workspace pages need --------------------------------------------------

CENTER, COMMITTEE, JUSTICE = "000.01.20.H22", "000.01.21.H22", "000.00.02.H22"
HATU_STAFF = ("tiepnhan.hatu", "chuyenvien.hatu", "lanhdao.hatu", "chuyenvien.tuphap")
MARRIAGE = "1.000894"


def build_hatu(procedures: tuple[str, ...] = (MARRIAGE,), staff: tuple[str, ...] = HATU_STAFF,
               signed_results: bool = False) -> dict[str, Agency]:
    """Hà Tu ward's one-stop center and People's Committee and the Department of Justice, with their demo staff
    (``staff``) and counters, and ``procedures`` of the demo catalogue received at the center (allowing unsigned
    results unless ``signed_results``: see :class:`World`)."""
    province = AdministrativeUnit.objects.create(code="22", name="Tỉnh Quảng Ninh", kind="province")
    ward = AdministrativeUnit.objects.create(code="06652", name="Phường Hà Tu", kind="ward", parent=province)
    demo = json.loads(AGENCIES_FILE.read_text(encoding="utf-8"))
    agencies = {}
    for row in demo["agencies"]:
        if row["identifier_code"] in (CENTER, COMMITTEE, JUSTICE):
            agency = Agency.objects.create(
                identifier_code=row["identifier_code"], name=row["name"], kind=row["kind"], address=row["address"],
                unit=ward if row["identifier_code"] != JUSTICE else province,
            )
            for number, name in enumerate(row["counters"], start=1):
                Counter.objects.create(agency=agency, number=number, name=name)
            agencies[agency.identifier_code] = agency
    for row in demo["staff"]:
        if row["username"] in staff:
            user = get_user_model().objects.create_user(
                row["username"], password=DEMO_PASSWORD, first_name=row["first_name"], last_name=row["last_name"],
                is_staff=True,
            )
            for membership in row["memberships"]:
                Membership.objects.create(user=user, agency=agencies[membership["agency"]], role=membership["role"])
    catalog = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    records = [p for p in catalog["procedures"] if p["code"] in procedures]
    for record in records:
        record["agencies"] = [CENTER]
    import_catalog({**catalog, "fields": [f for f in catalog["fields"] if f["code"] in {r["field"] for r in records}],
                    "procedures": records})
    ProcedureVersion.objects.update(unsigned_results_allowed=not signed_results)
    return agencies


# --- citizens' accounts ---------------------------------------------------------------------------------------

PASSWORD = "Cong-dan-2026!"
_numbers = itertools.count(1)


def make_citizen(*, full_name: str = "Nguyễn Văn An", id_number: str = "022090001234", phone: str | None = None,
                 email: str = "", password: str = PASSWORD, kind: str = CitizenKind.PERSON, language: str = "vi",
                 address: str = "", verified: bool = True) -> Citizen:
    """A citizen (or, with ``kind="organization"`` and a tax code, a business) account with ``password``.

    Without ``phone``, a unique one (``0900000001``, …) is chosen. ``verified`` marks the phone (or the email, when
    there is no phone) as verified, so pages behind ``citizen_required`` open at once.
    """
    if phone is None:
        phone = "" if email else f"09{next(_numbers):08d}"
    user = get_user_model().objects.create_user(f"c-{uuid.uuid4().hex}", password=password,
                                                first_name=full_name[:150])
    now = timezone.now() if verified else None
    return Citizen.objects.create(
        user=user, kind=kind, full_name=full_name, id_number=id_number, phone=phone, email=email, address=address,
        language=language, phone_verified_at=now if phone else None, email_verified_at=now if email and not phone
        else None,
    )


def sign_in(client: Any, citizen: Citizen) -> None:
    """Sign the test client in as the citizen (the sign-in page itself is tested in tests/test_accounts.py)."""
    client.force_login(citizen.user, backend="django.contrib.auth.backends.ModelBackend")


def citizen_user(**overrides: Any) -> Any:
    """The user of a verified citizen account living in Hà Tu (``make_citizen`` with the wizard's defaults)."""
    values = {"phone": "0912345678", "address": "Tổ 3, khu 5, phường Hà Tu", "id_number": "022090001234"}
    return make_citizen(**{**values, **overrides}).user


# --- dossiers in a given status (through the services, in the ``World``) ------------------------------------

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=VN_TZ)  # an ordinary working week


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=VN_TZ)


def receive(world: World, now: datetime = MONDAY, **overrides: Any) -> Dossier:
    """A marriage registration received at the Hà Tu counter by ``tiepnhan`` (``overrides`` change the data)."""
    data: dict[str, Any] = {
        "procedure": "1.000894", "channel": "counter", "applicant": dict(APPLICANT),
        "components": [{"order": 1, "originals": 1}], "counter": None,
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    dossier, created = dossier_services.create_dossier(actor=world.actor("tiepnhan"), data=data, now=now)
    assert created
    return dossier


def act(world: World, dossier: Dossier, action: str, who: str, now: datetime, **params: Any) -> Dossier:
    return dossier_services.perform(dossier.code, action, actor=world.actor(who), params=params, now=now)


def issue(world: World, dossier: Dossier, now: datetime) -> Dossier:
    """The result issued unsigned (the ``World``'s procedures allow it; the signing tests sign)."""
    return dossier_services.issue_result(dossier.code, actor=world.actor("lanhdao"), file=io.BytesIO(pdf_bytes()),
                                         name="kq.pdf", now=now)


def through_processing(world: World, dossier: Dossier, start: datetime) -> Dossier:
    """``dossier`` transferred, examined, approved and its result issued (ready to be returned)."""
    dossier = act(world, dossier, "transfer", "tiepnhan", start)
    dossier = act(world, dossier, "forward", "chuyenvien", start + timedelta(hours=1))
    dossier = act(world, dossier, "approve", "lanhdao", start + timedelta(hours=2))
    return issue(world, dossier, start + timedelta(hours=3))


def owned(world: World, user: Any, now: datetime = MONDAY) -> Dossier:
    """A dossier received at the counter that belongs to ``user``'s account (as an online submission would)."""
    dossier = receive(world, now, counter=None)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_user=user)
    return Dossier.objects.get(pk=dossier.pk)


def pay(dossier: Dossier, actor: Actor, now: datetime | None = None, method: str = "cash") -> Payment | None:
    """The fee still due on ``dossier`` collected in cash (or ``method``) at its receiving point by ``actor``
    (``payments.services.record_collection``): an unpaid dossier cannot release its result. None when nothing is
    due."""
    due = payment_selectors.amount_due(dossier)
    if not due:
        return None
    paid = payment_services.record_collection(code=dossier.code, method=method, amount=due, actor=actor,
                                              point_id=dossier.receiving_agency_id, now=now or timezone.now())
    dossier.refresh_from_db()  # the caller's instance: its fee paid, log head and revision as they are now
    return paid


def returned(world: World, dossier: Dossier) -> Dossier:
    """``dossier`` taken through the five steps, its fee paid, and handed to the applicant at the counter."""
    dossier = through_processing(world, dossier, MONDAY + timedelta(minutes=30))
    pay(dossier, world.actor("tiepnhan"), MONDAY + timedelta(hours=4))
    return act(world, dossier, "return_result", "tiepnhan", MONDAY + timedelta(hours=5), delivery="counter",
               recipient="Nguyễn Văn An")


def new_dossier(world: World, applicant: Any = None, exemptions: list[str] | None = None) -> Dossier:
    """A marriage registration (30,000 đ) received at the Hà Tu counter, belonging to ``applicant``'s account."""
    dossier, _ = dossier_services.create_dossier(actor=world.actor("tiepnhan"), data={
        "procedure": "1.000894", "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}],
    })
    changes: dict[str, Any] = {}
    if applicant is not None:
        changes["applicant_user"] = applicant
    if exemptions is not None:
        changes["form_data"] = {"exemptions": exemptions}
    if changes:  # the portal work sets these when a citizen submits online
        Dossier.objects.filter(pk=dossier.pk).update(**changes)
        dossier.refresh_from_db()
    return dossier


def dossiers(world: World, count: int, *, applicant_user: Any = None, handed_back: bool = False,
             now: datetime = MONDAY) -> list[Dossier]:
    """``count`` dossiers received at the Hà Tu counter (owned by ``applicant_user`` when given; returned to the
    applicant when ``handed_back``): the rows of a list whose query budget is measured."""
    made = []
    for _ in range(count):
        dossier = owned(world, applicant_user, now) if applicant_user is not None else receive(world, now)
        made.append(returned(world, dossier) if handed_back else dossier)
    return made


_receipts = itertools.count(1)


def payment(dossier: Dossier, *, status: str = PaymentStatus.PAID, amount: int = 30000, payer: Any = None,
            now: datetime = MONDAY) -> Payment:
    """A payment of ``dossier``'s fee through the sandbox gateway (paid, with a receipt number, by default)."""
    paid = status == PaymentStatus.PAID
    number = next(_receipts)
    if paid:  # what the payment's event does (``dossiers.services.record_fee_event``), for a payment made here
        Dossier.objects.filter(pk=dossier.pk).update(fee_paid=F("fee_paid") + amount)
        dossier.refresh_from_db(fields=["fee_paid"])
    return Payment.objects.create(
        dossier=dossier, payer=payer, amount=amount, lines=[{"name": "Lệ phí", "amount": amount}],
        order_ref=f"T{uuid.uuid4().hex[:20]}", gateway="vnpay", status=status, created_at=now,
        expires_at=now + timedelta(minutes=15), paid_at=now if paid else None,
        receipt_number=f"BL-{number:06d}" if paid else None,
    )


_petitions = itertools.count(1)


def petition(world: World, *, answered_by: str = "tiepnhan", published: bool = False, now: datetime | None = None
             ) -> Petition:
    """A feedback about the Hà Tu center sent through the form (with consent to publish), answered by
    ``answered_by`` (an officer of the center) and published when ``published``; not
    answered when ``answered_by`` is empty."""
    number = next(_petitions)
    sent = feedback_services.submit_petition(data=feedback_services.PetitionIn(
        kind="feedback", subject=f"Góp ý số {number}", body="Xếp hàng quá lâu ở quầy hộ tịch.",
        agency=world.commune.identifier_code, sender_name="Nguyễn Văn An", phone="0912345678",
        consent_to_publish=True), now=now)
    if not answered_by:
        return sent
    return feedback_services.answer_petition(actor=world.actor(answered_by), code=sent.code,
                                             answer="Đã bố trí thêm quầy.", publish=published, now=now)


def rating(agency: Agency, *, score: int = 5, dossier: Dossier | None = None, counter: Counter | None = None,
           now: datetime | None = None) -> Rating:
    """A satisfaction rating of ``agency`` (from a counter's QR code, or of ``dossier`` from the account)."""
    channel = RatingChannel.ACCOUNT if dossier is not None else RatingChannel.COUNTER_QR
    return Rating.objects.create(score=score, channel=channel, agency=agency, dossier=dossier, counter=counter,
                                 comment="Nhanh.", created_at=now or timezone.now())


def stored_document(owner: Any, *, dossier: Dossier | None = None, verified_by: Agency | None = None,
                    title: str = "Giấy khai sinh") -> StoredDocument:
    """A document of ``owner``'s data warehouse, kept from ``dossier`` and verified by ``verified_by`` (the row
    only: the file itself is not written)."""
    digest = uuid.uuid4().hex * 2
    return StoredDocument.objects.create(
        owner=owner, kind=DocumentKind.COMPONENT, title=title, key=f"test:{digest[:12]}",
        file=f"warehouse/{owner.pk}/{digest[:24]}.pdf", content_type="application/pdf", size=1024, sha256=digest,
        source_dossier=dossier, verified_by=verified_by, verified_at=timezone.now() if verified_by else None,
    )


# --- files ------------------------------------------------------------------------------------------------------

def pdf_bytes(text: str = "kết quả") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- the database as an attacker with its owner's rights sees it ---------------------------------------------------

APPEND_ONLY = importlib.import_module("motcua.dossiers.migrations.0006_event_append_only")


@contextmanager
def event_triggers_dropped() -> Iterator[None]:
    """What someone rewriting the event log with the database owner's rights does first: drop the triggers that
    refuse UPDATE and DELETE of events (they are created again afterwards)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(APPEND_ONLY.POSTGRESQL_REVERSE)
        else:
            for statement in APPEND_ONLY.SQLITE_REVERSE:
                cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(APPEND_ONLY.POSTGRESQL)
            else:
                for statement in APPEND_ONLY.SQLITE:
                    cursor.execute(statement)


# --- what the background worker does ----------------------------------------------------------------------------

def deliver_notifications(hooks: bool = True) -> None:
    """What the end of a request's transaction and the background worker do, inside a test's transaction:
    run the on-commit hooks registered so far (they enqueue the notifications), then every task that is due,
    with the real worker's ``run_task`` (its ``run`` loop would close the test's connection on PostgreSQL).
    ``hooks=False`` where the test ran the hooks itself (``django_capture_on_commit_callbacks``)."""
    while hooks and connection.run_on_commit:
        _savepoints, callback, _robust = connection.run_on_commit.pop(0)
        callback()
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="tests", excluded_queue_names=[])
    while (task := DBTaskResult.objects.ready().first()) is not None:
        task.claim(worker.worker_id)
        worker.run_task(task)
