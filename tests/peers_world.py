"""What the two-instance tests and the peers benchmark run *inside* an instance (``tests.peers.Instance.run``): the
minimal province of each side, a dossier sent across, an officer sending it back. Each function takes and returns
JSON-able values."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from motcua.agencies.models import Agency, AgencyKind, Membership
from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.catalog.services import import_catalog
from motcua.dossiers import services
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.geo.models import AdministrativeUnit
from motcua.integrations.models import Peer, PeerAgency, PeerStep
from motcua.integrations.peers import incoming
from tests.factories import FIELDS, pdf_bytes, procedure

PROCEDURE = "2.000488"
VERIFY = "Xác minh tại tỉnh khác"
SIDES = {
    # code, province, its Department of Justice, the other side's Department (a stand-in here)
    "A": {"code": "22", "province": "Quảng Ninh", "center": "000.00.01.H22", "justice": "000.00.02.H22"},
    "B": {"code": "01", "province": "Hà Nội", "center": "000.00.01.H01", "justice": "000.00.02.H01"},
}
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "022090001234", "phone": "0912345678",
             "address": "Tổ 3, khu 5, phường Hà Tu"}
PDF = pdf_bytes("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp")


def setup(side: str, other_url: str, other_pem: str) -> dict[str, Any]:
    """One side's province: its center and Department of Justice with staff, the judicial-record procedure whose
    step "Xác minh tại tỉnh khác" is done by the other side's Department, and the other side as its peer."""
    me = SIDES[side]
    other = SIDES["B" if side == "A" else "A"]
    with transaction.atomic():
        province = AdministrativeUnit.objects.create(code=me["code"], name=me["province"], kind="province")
        center = Agency.objects.create(identifier_code=me["center"], name=f"Trung tâm PVHCC {me['province']}",
                                       kind=AgencyKind.SERVICE_CENTER, unit=province)
        justice = Agency.objects.create(identifier_code=me["justice"], name=f"Sở Tư pháp {me['province']}",
                                        kind=AgencyKind.SPECIALIZED, unit=province)
        stand_in = Agency.objects.create(identifier_code=other["justice"],
                                         name=f"Sở Tư pháp {other['province']} (tỉnh khác)",
                                         kind=AgencyKind.SPECIALIZED, unit=province)
        import_catalog({"format": "motcua-catalog", "format_version": 1, "fields": FIELDS, "procedures": [procedure(
            PROCEDURE, name_vi="Cấp Phiếu lý lịch tư pháp", name_en="Judicial record", field="HT", level="province",
            processing_days="10", boundary_free=False, agencies=[center.identifier_code], fees=[],
            result_delivery=["counter", "post"],
            workflow=[
                {"name_vi": "Tiếp nhận", "role": "reception", "agency_kind": "service_center", "days": "0.5"},
                {"name_vi": VERIFY, "role": "processing", "agency_kind": "specialized", "days": "3"},
                {"name_vi": "Thẩm định", "role": "processing", "agency_kind": "specialized", "days": "4"},
                {"name_vi": "Ký", "role": "signer", "agency_kind": "specialized", "days": "1"},
                {"name_vi": "Trả kết quả", "role": "reception", "agency_kind": "service_center", "days": "0.5"},
            ], effective_from="2018-01-01")]})
        Procedure.objects.filter(code=PROCEDURE).update(processing_agency=justice)
        ProcedureVersion.objects.update(unsigned_results_allowed=True)
        users = get_user_model().objects
        for username, agency, roles in (("tiepnhan", center, ["reception"]), ("tuphap", justice, ["processing"]),
                                        ("lanhdao", justice, ["leader", "signer"])):
            user = users.create_user(username, password="motcua-demo", last_name="Cán bộ", first_name=username,
                                     is_staff=True)
            for role in roles:
                Membership.objects.create(user=user, agency=agency, role=role)
        peer = Peer.objects.create(code=other["code"], name=f"MotCua {other['province']}", base_url=other_url,
                                   public_key=other_pem)
        stand = PeerAgency.objects.create(agency=stand_in, peer=peer, remote_code=other["justice"])
        PeerStep.objects.create(procedure_code=PROCEDURE, step_name=VERIFY, agency=stand)
    return {"ok": True}


def submit(count: int = 1) -> list[str]:
    """Receive ``count`` dossiers at the center with a scanned file each, and transfer them to their first step:
    the other province's verification (each is sent across)."""
    reception = Actor.for_user(get_user_model().objects.get(username="tiepnhan"))
    codes = []
    for _index in range(count):
        dossier, _new = services.create_dossier(actor=reception, data={
            "procedure": PROCEDURE, "channel": "counter", "applicant": APPLICANT, "delivery": "counter",
            "components": [{"order": 1, "originals": 1, "received": True}], "receive": True})
        services.attach(dossier.code, actor=reception, file=io.BytesIO(PDF), name="to-khai.pdf", component=1)
        services.perform(dossier.code, "transfer", actor=reception)
        codes.append(dossier.code)
    return codes


def send_back(codes: list[str], outcome: str = "done") -> list[str]:
    """The Department's officer here sends dossiers received from the other province back, with a result file."""
    officer = Actor.for_user(get_user_model().objects.get(username="tuphap"))
    for code in codes:
        services.attach(code, actor=officer, file=io.BytesIO(PDF), name="ket-qua-xac-minh.pdf", kind="other")
        incoming.send_back(code, actor=officer, outcome=outcome, note="Đã xác minh: không có án tích.")
    return codes


def state(code: str) -> dict[str, Any]:
    dossier = Dossier.objects.select_related("current_agency").get(code=code)
    return {"status": dossier.status, "step": dossier.step_index,
            "agency": dossier.current_agency.identifier_code if dossier.current_agency else None,
            "events": [{"action": e.action, "data": e.data, "note": e.note, "actor": e.actor_name}
                       for e in dossier.events.order_by("seq")],
            "files": sorted(a.original_name for a in dossier.attachments.all())}
