"""The demo province (trial mode): Quảng Ninh, with the Hạ Long post-office pilot and real procedures.

``motcua load_demo`` runs :func:`load_demo`; it is idempotent, so ``make run`` calls it every time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from motcua.accounts.models import Citizen
from motcua.agencies.models import Agency, AgencyKind, Counter, Membership
from motcua.catalog.models import Level, Procedure, ProcedureVersion
from motcua.catalog.services import ImportReport, import_catalog, load_synonyms
from motcua.demo.history import load_history
from motcua.demo.queue import load_queue_demo
from motcua.demo.returned import load_returned, returned_code
from motcua.geo.models import AdministrativeUnit
from motcua.geo.services import load_units
from motcua.integrations.population.people import DEMO_PEOPLE as _PEOPLE
from motcua.postal.demo import load_postal_demo
from motcua.signing.images import draw_seal, draw_signature
from motcua.signing.models import Purpose
from motcua.signing.pki import DEMO_PIN, SYSTEM_LABEL, DemoAgency, DemoSigner, create_demo_pki, label_for, p12_path
from motcua.signing.services import forget_signers, register_pkcs12

PACKAGE = Path(__file__).resolve().parent.parent
AGENCIES_FILE = PACKAGE / "agencies" / "demo" / "quang_ninh.json"
CATALOG_FILE = PACKAGE / "catalog" / "demo" / "catalog_quang_ninh.json"
SYNONYMS_FILE = PACKAGE / "catalog" / "demo" / "synonyms.json"  # the words people use, for the assistant
DEMO_PASSWORD = "motcua-demo"  # noqa: S105 - trial accounts only, printed on screen on purpose


@dataclass
class DemoReport:
    agencies: int = 0
    staff: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, agency
    citizens: list[tuple[str, str, str]] = field(default_factory=list)  # phone, email, name
    catalog: ImportReport | None = None
    assignments: int = 0
    signers: list[tuple[str, str]] = field(default_factory=list)  # username, name on the certificate
    seals: int = 0
    returned_dossier: str = ""  # the demo citizen's returned dossier, to rate (docs/zalo.md)


def load_demo(*, progress: Callable[[str], None] = lambda line: None, history: bool = True) -> DemoReport:
    report = DemoReport()
    demo = json.loads(AGENCIES_FILE.read_text(encoding="utf-8"))
    progress("1/6 administrative units (34 provinces, 3,321 communes)…")
    units = load_units()
    progress(f"    {units.created} created, {units.updated} updated, {units.merges} province and "
             f"{units.commune_merges} commune merges recorded (old codes and names → new units)")

    progress("2/6 agencies, counters and demo staff…")
    with transaction.atomic():
        report.agencies = _load_agencies(demo["agencies"])
        report.staff = _load_staff(demo["staff"])
        report.citizens = _load_citizens(DEMO_CITIZENS)
    progress(f"    {report.agencies} agencies, {len(report.staff)} staff accounts")

    progress("3/6 procedure catalogue…")
    catalog = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    report.catalog = import_catalog(catalog, progress=lambda line: progress(f"    {line}"))
    progress(
        f"    {report.catalog.procedures_created} new, {report.catalog.versions_created} new versions, "
        f"{report.catalog.unchanged} unchanged"
    )
    synonyms = load_synonyms(json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))["synonyms"])
    progress(f"    {synonyms.created} new synonyms for the virtual assistant ({synonyms.updated} updated)")

    progress("4/6 which service points receive which procedures, which agencies process them…")
    for line in load_postal_demo(password=DEMO_PASSWORD):  # before the links: it offers home pickup
        progress(f"    {line}")
    report.assignments = _assign_procedures()
    _assign_processing_agencies(demo.get("processing_agencies", {}))
    progress(f"    {report.assignments} procedure–agency links")

    progress("5/6 demo digital signatures: a PKI (root, agency CA, OCSP, CRL, timestamps) and specimen images…")
    report.signers, report.seals = _load_signing(demo["staff"])
    progress(f"    in {settings.MOTCUA_PKI_DIR}, served by `motcua pki_serve` at {settings.MOTCUA_PKI_URL}")
    progress(f"    {report.seals} agency seals and the system seal; these accounts sign results with PIN {DEMO_PIN}:")
    for username, name in report.signers:
        progress(f"      {username} ({name})")

    for line in load_queue_demo():  # the waiting room: kiosk, display board, appointments (docs/counters.md)
        progress(f"    {line}")
    if not history:  # no dossier at all (the benchmarks' template, the tests): only an existing one is named
        report.returned_dossier = returned_code()
        return report
    report.returned_dossier = load_returned()
    progress(f"    a returned dossier of the demo citizen (0912000001) to rate: {report.returned_dossier or '-'}")
    progress("6/6 four months of history: dossiers taken through the real services, so the boards and the index "
             "have figures…")
    story = load_history(progress=progress)
    if story is not None:
        progress(f"    {story.received} received, {story.returned} returned, {story.open} open "
                 f"({story.overdue} overdue), {story.supplements} supplements, {story.paid_online} paid online, "
                 f"{story.rated} ratings")
    return report


def _load_agencies(rows: list[dict[str, Any]]) -> int:
    units = {u.code: u for u in AdministrativeUnit.objects.filter(code__in={str(r["unit"]) for r in rows})}
    by_code: dict[str, Agency] = {}
    for row in rows:
        agency, _ = Agency.objects.update_or_create(
            identifier_code=row["identifier_code"],
            defaults={
                "name": row["name"], "name_en": row["name_en"], "kind": row["kind"],
                "unit": units[str(row["unit"])], "address": row["address"], "hotline": row["hotline"],
                "opening_hours": row["opening_hours"],
                "parent": by_code.get(str(row["parent"])) if row["parent"] else None,
            },
        )
        by_code[agency.identifier_code] = agency
        for number, name in enumerate(row["counters"], start=1):
            Counter.objects.update_or_create(agency=agency, number=number, defaults={"name": name})
    return len(by_code)


# The administrator's rights on the interconnection (the `integrations` admin): she sees every list, sends an
# outgoing message again (change), and edits the code mappings and the peers; nobody deletes a message or a look-up
# (the admin refuses it: the outbox is never lost, the look-up log is kept by law).
INTEGRATION_PERMS = {
    "outboxmessage": ("view", "change"), "inboxmessage": ("view",), "populationlookup": ("view",),
    "peerexchange": ("view",), "codemapping": ("view", "add", "change", "delete"),
    "peer": ("view", "add", "change", "delete"), "peeragency": ("view", "add", "change", "delete"),
    "peerstep": ("view", "add", "change", "delete"),
}


def _integration_perms() -> list[Permission]:
    wanted = {f"{action}_{model}" for model, actions in INTEGRATION_PERMS.items() for action in actions}
    return list(Permission.objects.filter(content_type__app_label="integrations", codename__in=wanted))


def _load_staff(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    user_model = get_user_model()
    accounts = []
    catalog_perms = [*Permission.objects.filter(content_type__app_label__in=["catalog", "agencies", "core", "geo"]),
                     *_integration_perms()]
    for row in rows:
        user, created = user_model.objects.get_or_create(
            username=row["username"],
            defaults={"first_name": row["first_name"], "last_name": row["last_name"], "is_staff": True},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        if row.get("email") and not user.email:  # the leaders' and supervisors' digests go there
            user.email = row["email"]
        user.is_superuser = bool(row["is_superuser"])
        user.save()
        for membership in row["memberships"]:
            agency = Agency.objects.get(identifier_code=membership["agency"])
            Membership.objects.get_or_create(user=user, agency=agency, role=membership["role"])
            if membership["role"] == "catalog_admin":
                user.user_permissions.add(*catalog_perms)
            accounts.append((user.username, membership["role"], agency.name))
    return accounts


# Hypothetical citizen and business accounts of the trial mode (sign in with the phone or the email).
DEMO_CITIZENS = [
    {"username": "congdan.demo", "kind": "person", "full_name": "Nguyễn Thị Hương", "id_number": "022190004567",
     "phone": "0912000001", "email": "congdan@motcua.local", "address": "Tổ 3, khu 5, phường Hà Tu, Quảng Ninh"},
    {"username": "doanhnghiep.demo", "kind": "organization", "full_name": "Công ty TNHH Thương mại Hạ Long Xanh",
     "id_number": "5701234566", "phone": "0912000002", "email": "doanhnghiep@motcua.local",
     "address": "Số 1 đường Trần Hưng Đạo, phường Hồng Gai, Quảng Ninh"},
]


DEMO_PEOPLE = {p.id_number: p for p in _PEOPLE}


def _load_citizens(rows: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    accounts = []
    for row in rows:
        user, created = get_user_model().objects.get_or_create(username=row["username"])
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        now = timezone.now()
        # a person of the demo is one of the population simulator's fictional people: her identity is verified
        person = DEMO_PEOPLE.get(row["id_number"]) if row["kind"] == "person" else None
        identity = {"date_of_birth": person.date_of_birth, "identity_verified_at": now} if person else {}
        Citizen.objects.update_or_create(user=user, defaults={
            **{k: v for k, v in row.items() if k != "username"}, "phone_verified_at": now, "email_verified_at": now,
            **identity,
        })
        accounts.append((row["phone"], row["email"], row["full_name"]))
    return accounts


def _assign_procedures() -> int:
    """Link procedures to the service points that receive them, by level and channel.

    Province-level procedures are received at the provincial center, commune-level ones at every commune
    center; boundary-free ones at every center of the province; those offered through the post at every
    post-office point of the Hạ Long pilot. Only procedures without agencies are touched, so assignments
    made by an administrator are kept.
    """
    centers = list(Agency.objects.filter(kind=AgencyKind.SERVICE_CENTER))
    communes = list(Agency.objects.filter(kind=AgencyKind.COMMUNE_ONE_STOP))
    posts = list(Agency.objects.filter(kind=AgencyKind.POST_OFFICE))
    links = 0
    for procedure in Procedure.objects.filter(agencies__isnull=True):
        version = ProcedureVersion.objects.in_force().filter(procedure=procedure).first()
        if version is None:
            continue
        targets = list(communes if version.level == Level.COMMUNE else centers)
        if version.boundary_free:
            targets = centers + communes
        if "post_office" in version.channels or "home_pickup" in version.channels:
            targets += posts
        procedure.agencies.add(*targets)
        links += len(targets)
    return links


def _assign_processing_agencies(by_field: dict[str, str]) -> None:
    """Province-level procedures are handled by the department of their field (set where none is set yet)."""
    agencies = {a.identifier_code: a for a in Agency.objects.filter(identifier_code__in=set(by_field.values()))}
    for procedure in Procedure.objects.filter(processing_agency__isnull=True):
        version = ProcedureVersion.objects.in_force().filter(procedure=procedure).select_related("field").first()
        if version is None or version.level == Level.COMMUNE:
            continue
        code = by_field.get(version.field.code)
        if code in agencies:
            procedure.processing_agency = agencies[code]
            procedure.save(update_fields=["processing_agency"])


SIGNING_ROLES = ("leader", "signer")


def _load_signing(rows: list[dict[str, Any]]) -> tuple[list[tuple[str, str]], int]:
    """The demo PKI (created once; later runs add only what is new), a personal certificate and a drawn
    signature for each leader and signer, a seal for each agency and the system's seal, all marked SPECIMEN."""
    directory = Path(settings.MOTCUA_PKI_DIR)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[r["username"] for r in rows])}
    agencies = list(Agency.objects.order_by("identifier_code"))
    people: dict[str, DemoSigner] = {}
    for row in rows:
        memberships = [m for m in row["memberships"] if m["role"] in SIGNING_ROLES]
        if memberships and row["username"] not in people:
            organization = next((a.name for a in agencies if a.identifier_code == memberships[0]["agency"]), "")
            people[row["username"]] = DemoSigner(label_for(row["username"]),
                                                 f"{row['last_name']} {row['first_name']}".strip(), organization)
    seals = {agency.pk: DemoAgency(label_for(agency.identifier_code), agency.name) for agency in agencies}
    create_demo_pki(directory, settings.MOTCUA_PKI_URL, signers=list(people.values()), agencies=list(seals.values()))
    images = directory / "images"
    with transaction.atomic():
        for username, person in people.items():
            image = images / f"{person.label}.png"
            if not image.exists():
                draw_signature(person.name, image)
            register_pkcs12(p12_path(directory, person.label), DEMO_PIN, purpose=Purpose.PERSONAL,
                            user=users[username], image=str(image))
        for agency in agencies:
            seal = seals[agency.pk]
            image = images / f"{seal.label}.png"
            if not image.exists():
                draw_seal(seal.name, image)
            register_pkcs12(p12_path(directory, seal.label), DEMO_PIN, purpose=Purpose.SEAL, agency=agency,
                            image=str(image))
        image = images / f"{SYSTEM_LABEL}.png"
        if not image.exists():
            draw_seal("MotCua · Hệ thống một cửa điện tử", image)
        register_pkcs12(p12_path(directory, SYSTEM_LABEL), DEMO_PIN, purpose=Purpose.SYSTEM, image=str(image))
    forget_signers()
    return [(username, person.name) for username, person in people.items()], len(agencies)
