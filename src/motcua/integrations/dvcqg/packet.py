"""The dossier packet and its progress rows, as the national portal wants them (DESIGN.md "Talking to national
systems"), built for a whole delivery batch in a constant number of queries (:func:`load`).

Dates are ``yyyyMMddHHmmss`` in Vietnam time. The packet carries the applicant's name, ID number, phone and email
because the portal asks for them, and nothing else of the person (no address, no e-form data, no file content).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from motcua.accounts.models import Citizen
from motcua.agencies.models import Role
from motcua.catalog.models import FeeItem
from motcua.core.calendar import VN_TZ
from motcua.core.web import public_url
from motcua.dossiers.models import (
    ApplicantKind,
    Attachment,
    AttachmentKind,
    Dossier,
    DossierComponent,
    Event,
    IssuedResult,
)
from motcua.dossiers.selectors import MILESTONES
from motcua.dossiers.statuses import EventKind, Status
from motcua.integrations.dvcqg.codes import Codes
from motcua.integrations.models import MappingKind
from motcua.payments.models import Payment, PaymentMethod, PaymentStatus

FORMAT = "%Y%m%d%H%M%S"
PROGRESS_CHUNK = 10  # progress rows per call, as the portal takes them


def stamp(moment: datetime | str | None) -> str:
    """``yyyyMMddHHmmss`` in Vietnam time ("" for none)."""
    if not moment:
        return ""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return ""
    return moment.astimezone(VN_TZ).strftime(FORMAT)


@dataclass
class Batch:
    """What the packets of a batch of dossiers are made of, loaded together."""

    codes: Codes
    dossiers: dict[int, Dossier] = field(default_factory=dict)
    components: dict[int, list[DossierComponent]] = field(default_factory=lambda: defaultdict(list))
    attachments: dict[int, list[Attachment]] = field(default_factory=lambda: defaultdict(list))
    results: dict[int, list[IssuedResult]] = field(default_factory=lambda: defaultdict(list))
    fees: dict[int, list[FeeItem]] = field(default_factory=lambda: defaultdict(list))
    paid_online: set[int] = field(default_factory=set)
    supplements: dict[int, list[Event]] = field(default_factory=lambda: defaultdict(list))


def load(dossier_ids: Iterable[int], codes: Codes | None = None) -> Batch:
    """The dossiers and everything their packets say (about nine queries whatever their number)."""
    ids = sorted(set(dossier_ids))
    batch = Batch(codes or Codes.load())
    if not ids:
        return batch
    vneid = Citizen.objects.filter(user_id=OuterRef("applicant_user_id"), oidc_subject__isnull=False)
    for dossier in (Dossier.objects.filter(pk__in=ids)
                    .select_related("procedure", "version__field", "receiving_agency", "current_agency")
                    .annotate(vneid=Exists(vneid))):
        batch.dossiers[dossier.pk] = dossier
    for component in DossierComponent.objects.filter(dossier_id__in=ids).order_by("dossier_id", "order", "pk"):
        batch.components[component.dossier_id].append(component)
    for attachment in (Attachment.objects.filter(dossier_id__in=ids)
                       .exclude(kind__in=[AttachmentKind.DRAFT, AttachmentKind.RESULT])
                       .select_related("digitization").order_by("pk")):
        batch.attachments[attachment.dossier_id].append(attachment)
    for result in IssuedResult.objects.filter(dossier_id__in=ids).select_related("agency").order_by("pk"):
        batch.results[result.dossier_id].append(result)
    versions = {d.version_id for d in batch.dossiers.values()}
    for fee in FeeItem.objects.filter(version_id__in=versions).order_by("version_id", "order", "pk"):
        batch.fees[fee.version_id].append(fee)
    batch.paid_online = set(Payment.objects.filter(
        dossier_id__in=ids, status=PaymentStatus.PAID, method=PaymentMethod.GATEWAY).values_list("dossier_id",
                                                                                                  flat=True))
    for event in Event.objects.filter(dossier_id__in=ids, action__in=[
            EventKind.REQUEST_SUPPLEMENT, EventKind.SUPPLEMENT]).order_by("dossier_id", "seq"):
        batch.supplements[event.dossier_id].append(event)
    return batch


def result_link(code: str) -> str:
    """Where anyone holding the code checks (and the holder downloads) an issued result: the public page."""
    try:
        return public_url(reverse("portal:verify_code", args=[code]))
    except NoReverseMatch:
        return ""


def packet(batch: Batch, dossier: Dossier) -> dict[str, Any]:
    """The dossier's packet as it is now (``HoSo``)."""
    codes = batch.codes
    version = dossier.version
    unit = dossier.current_agency or dossier.receiving_agency
    attachments = batch.attachments.get(dossier.pk, [])
    documents = [_document(attachment) for attachment in attachments]
    covered = {a.component_id for a in attachments if a.component_id}
    documents += [{  # a paper component with no file: named, not digitized
        "TenTepDinhKem": component.name, "MaThanhPhanHoSo": str(component.component_id or component.order),
        "DuongDanTaiTepTin": "", "DuocSoHoa": 0, "DuocTaiSuDung": 0, "DuocLayTuKhoDMQG": 0,
    } for component in batch.components.get(dossier.pk, []) if component.pk not in covered and component.received]
    with translation.override("vi"):
        fees = [{"TenPhiLePhi": fee.name_vi, "MaPhiLePhi": str(fee.order or fee.pk), "MucPhi": fee.amount,
                 "LoaiPhiLePhi": 2 if "lệ phí" in fee.name_vi.lower() else 1}
                for fee in batch.fees.get(dossier.version_id, [])]
        supplements = _supplements(batch.supplements.get(dossier.pk, []))
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": codes.get(MappingKind.PROCEDURE, dossier.procedure.code),
        "TenTTHC": version.name_vi,
        "MaLinhVuc": version.field.code,
        "TenLinhVuc": version.field.name_vi,
        "KenhThucHien": int(codes.get(MappingKind.CHANNEL, dossier.channel, "1")),
        "HinhThuc": int(codes.get(MappingKind.DELIVERY, dossier.delivery, "0")),
        "ChuHoSo": dossier.applicant_name,
        "LoaiDoiTuong": int(codes.get(MappingKind.APPLICANT, dossier.applicant_kind, "4")),
        "SoGiayToChuHoSo": dossier.applicant_id_number,
        "DinhDanhCHS": [{"LoaiDinhDanh": 1 if dossier.applicant_kind == ApplicantKind.PERSON else 3,
                         "SoDinhDanh": dossier.applicant_id_number}] if dossier.applicant_id_number else [],
        "SoDienThoai": dossier.applicant_phone,
        "Email": dossier.applicant_email,
        "TrichYeuHoSo": version.name_vi,
        "NgayNopHoSo": stamp(dossier.submitted_at),
        "NgayTiepNhan": stamp(dossier.received_at),
        "NgayHenTra": stamp(dossier.apology_due_at or dossier.due_at),
        "NgayKetThucXuLy": stamp(dossier.result_issued_at),
        "NgayTra": stamp(dossier.returned_at),
        "NgayTuChoi": stamp(dossier.closed_at) if dossier.status == Status.REFUSED else "",
        "TrangThaiHoSo": int(codes.status(dossier.status, dossier.pause_kind) or 0),
        "DonViXuLy": codes.get(MappingKind.UNIT, unit.identifier_code) if unit else "",
        "HoSoCoThanhPhanSoHoa": 1 if any(d["DuocSoHoa"] for d in documents) else 0,
        "TaiKhoanDuocXacThucVoiVNeID": 1 if getattr(dossier, "vneid", False) else 0,
        "DuocThanhToanTrucTuyen": 2 if dossier.pk in batch.paid_online else 0,
        "TaiLieuNop": documents,
        "DanhSachGiayToKetQua": [{
            "TenGiayTo": result.name, "MaGiayToKetQua": result.verification_code,
            "DuongDanTepTinKetQua": result_link(result.verification_code),
        } for result in batch.results.get(dossier.pk, [])],
        "DanhSachLePhi": fees,
        "DanhSachHoSoBoSung": supplements,
        "PhienBan": dossier.event_count,  # the portal keeps the latest version it was sent
    }


def _document(attachment: Attachment) -> dict[str, Any]:
    digitization = getattr(attachment, "digitization", None)
    reused = 0
    if digitization is not None and digitization.reused_from_id is not None:
        reused = 1
    if digitization is not None and digitization.reused_document_id is not None:
        reused = 2
    return {
        "TenTepDinhKem": attachment.original_name,
        "MaThanhPhanHoSo": str(attachment.component_id or ""),
        "DuongDanTaiTepTin": "",  # files stay here; the portal is told they exist, with their fingerprint
        "MaBam": attachment.sha256,
        "DuocSoHoa": 1 if digitization is not None else 0,
        "DuocTaiSuDung": reused,
        "DuocLayTuKhoDMQG": 1 if reused == 2 else 0,
    }


def _supplements(events: list[Event]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for event in events:
        if event.action == EventKind.REQUEST_SUPPLEMENT:
            rows.append({"NgayYeuCau": stamp(event.at), "NoiDungYeuCau": event.note, "NgayBoSung": ""})
        elif rows and not rows[-1]["NgayBoSung"]:
            rows[-1]["NgayBoSung"] = stamp(event.at)
    return rows


ROLE_TITLES = dict(Role.choices)
# NoiDungXuLy says what was done: the public milestones' texts ("Dossier submitted", not the label "Submitted" that
# also heads date columns), then every other kind's label (each an action: "Carried to the merged unit's agency"…)
ACTION_TEXTS: dict[str, Any] = {**{kind.value: kind.label for kind in EventKind}, **MILESTONES}


def action_text(action: str) -> str:
    """What the event did, in Vietnamese (the portal's language)."""
    with translation.override("vi"):
        return str(ACTION_TEXTS.get(action, action))


def progress(batch: Batch, dossier: Dossier, event: Event, key: str) -> dict[str, Any]:
    """One progress row (``TienDo``) for ``event``; ``MaDongBo`` is the outbox key the portal drops a repeat by."""
    codes = batch.codes
    with translation.override("vi"):
        label = action_text(event.action)
        title = str(ROLE_TITLES.get(event.role, ""))
        agency = event.agency.name if event.agency_id and event.agency else ""
    changes = event.changes or {}
    return {
        "MaHoSo": dossier.code,
        "MaDongBo": key,
        "NguoiXuLy": event.actor_name,
        "ChucDanh": title,
        "ThoiDiemXuLy": stamp(event.at),
        "PhongBanXuLy": agency,
        "NoiDungXuLy": label + (f": {event.note}" if event.note else ""),
        "TrangThai": int(codes.status(event.to_status, changes.get("pause_kind", "")) or 0),
        "NgayBatDau": stamp(changes.get("step_started_at") or event.at),
        "NgayKetThucTheoQuyDinh": stamp(changes.get("step_due_at") or dossier.due_at),
    }
