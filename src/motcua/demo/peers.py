"""The trial's second province (``make run-peer``): Hà Nội's MotCua on port 8001 beside Quảng Ninh's on 8000, each
the other's peer, and a procedure whose verification step is done in the other province.

``motcua peer_demo main --peer-dir var/peer`` (``make run``'s preparation, on Quảng Ninh's instance) and
``motcua peer_demo peer --main-dir var`` (``make run-peer``'s, with ``MOTCUA_DATA_DIR=var/peer``) are idempotent.
Both key pairs live under their own ``var/`` directories; each side makes the other's when it is missing, so that
either may start first (a trial on one machine: in production each province keeps its own key and sends only its
public key, ``motcua peer_keys`` / ``peer_add``).

The procedure: "Cấp Phiếu lý lịch tư pháp" (2.000488), received at Quảng Ninh's provincial center; its second step
"Xác minh lý lịch tại tỉnh khác (Sở Tư pháp Hà Nội)" belongs to Hà Nội's Department of Justice (a ``PeerStep``), so
the reception's transfer sends the dossier to Hà Nội, whose officer ``tuphap.hanoi`` sends it back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from motcua.agencies.models import Agency, AgencyKind, Membership
from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.catalog.services import import_catalog
from motcua.geo.models import AdministrativeUnit
from motcua.integrations.models import CodeMapping, MappingKind, Peer, PeerAgency, PeerStep, System
from motcua.integrations.peers import keys

DEMO_PASSWORD = "motcua-demo"  # noqa: S105 - trial accounts only, printed on screen on purpose
PROCEDURE = "2.000488"
NATIONAL_CODE = "2.002065"  # its code in the national catalogue (the portal simulator's)
VERIFY_STEP = "Xác minh lý lịch tại tỉnh khác (Sở Tư pháp Hà Nội)"
MAIN = {"code": "22", "province": "Quảng Ninh", "url": "http://127.0.0.1:8000",
        "center": "000.00.01.H22", "justice": "000.00.02.H22"}
PEER = {"code": "01", "province": "Hà Nội", "url": "http://127.0.0.1:8001",
        "center": "000.00.01.H01", "justice": "000.00.02.H01"}
PEER_STAFF = [  # username, first name, last name, agency, roles
    ("tiepnhan.hanoi", "Lan", "Trần Thị", "center", ["reception"]),
    ("tuphap.hanoi", "Minh", "Phạm Văn", "justice", ["processing"]),
    ("lanhdao.tuphap.hanoi", "Hùng", "Lê Quang", "justice", ["leader", "signer"]),
]


def _procedure(center: str) -> dict[str, Any]:
    return {
        "format": "motcua-catalog", "format_version": 1,
        "fields": [{"code": "HT", "name_vi": "Hộ tịch", "name_en": "Civil status"}],
        "procedures": [{
            "code": PROCEDURE, "name_vi": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
            "name_en": "Judicial record certificate for Vietnamese citizens", "field": "HT", "level": "province",
            "implementing_body": "Sở Tư pháp", "processing_days": "10",
            "legal_basis": ["Luật Lý lịch tư pháp số 28/2009/QH12"], "online_level": "partial",
            "channels": ["online", "counter"], "result_delivery": ["counter", "post"], "boundary_free": False,
            "agencies": [center],
            "results": [{"name_vi": "Phiếu lý lịch tư pháp", "name_en": "Judicial record certificate"}],
            "components": [
                {"name_vi": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "originals": 1, "copies": 0,
                 "template_name": "Mẫu số 03/2013/TT-LLTP"},
                {"name_vi": "Bản chụp giấy tờ tùy thân", "originals": 0, "copies": 1},
            ],
            "fees": [{"name_vi": "Phí cung cấp thông tin lý lịch tư pháp", "amount": 0,
                      "note": "Miễn phí trong bản thử"}],
            "workflow": [
                {"name_vi": "Tiếp nhận hồ sơ", "role": "reception", "agency_kind": "service_center", "days": "0.5"},
                {"name_vi": VERIFY_STEP, "role": "processing", "agency_kind": "specialized", "days": "3"},
                {"name_vi": "Thẩm định, lập Phiếu lý lịch tư pháp", "role": "processing",
                 "agency_kind": "specialized", "days": "5"},
                {"name_vi": "Lãnh đạo Sở ký Phiếu", "role": "signer", "agency_kind": "specialized", "days": "1"},
                {"name_vi": "Trả kết quả", "role": "reception", "agency_kind": "service_center", "days": "0.5"},
            ],
            "effective_from": "2018-01-01",
        }],
    }


def _key_of(directory: Path) -> str:
    """The public key of the instance whose data directory is ``directory`` (its key made when missing)."""
    return keys.public_pem(keys.ensure_key(directory / "peer_key.pem")[0])


def _province(side: dict[str, str]) -> AdministrativeUnit:
    unit = AdministrativeUnit.objects.filter(code=side["code"]).first()
    return unit or AdministrativeUnit.objects.create(code=side["code"], name=side["province"], kind="province")


def _load_procedure(side: dict[str, str]) -> None:
    import_catalog(_procedure(side["center"]))
    Procedure.objects.filter(code=PROCEDURE).update(
        processing_agency=Agency.objects.get(identifier_code=side["justice"]))
    ProcedureVersion.objects.filter(procedure__code=PROCEDURE).update(unsigned_results_allowed=True)


def link_main(peer_dir: Path, *, peer_url: str = PEER["url"],
              progress: Callable[[str], None] = lambda line: None) -> None:
    """Quảng Ninh's side: Hà Nội as a peer, its Department of Justice as a local stand-in, the procedure."""
    own = keys.public_pem(keys.ensure_key()[0])
    with transaction.atomic():
        province = _province(MAIN)
        peer, _new = Peer.objects.update_or_create(code=PEER["code"], defaults={
            "name": "MotCua Hà Nội (bản thử)", "base_url": peer_url, "public_key": _key_of(peer_dir),
            "is_active": True})
        stand_in, _new = Agency.objects.update_or_create(identifier_code=PEER["justice"], defaults={
            "name": "Sở Tư pháp thành phố Hà Nội (tỉnh khác)", "kind": AgencyKind.SPECIALIZED, "unit": province})
        link, _new = PeerAgency.objects.update_or_create(agency=stand_in, defaults={
            "peer": peer, "remote_code": PEER["justice"]})
        _load_procedure(MAIN)
        PeerStep.objects.update_or_create(procedure_code=PROCEDURE, step_name=VERIFY_STEP,
                                          defaults={"agency": link})
        # the national portal knows the judicial record procedure as 2.002065 (what `motcua sync_catalog` finds
        # by its name): mapped here so that the trial's dossier syncs before anyone runs sync_catalog
        CodeMapping.objects.get_or_create(system=System.PORTAL, kind=MappingKind.PROCEDURE, local_code=PROCEDURE,
                                          defaults={"remote_code": NATIONAL_CODE,
                                                    "remote_name": "Cấp phiếu lý lịch tư pháp cho công dân Việt Nam",
                                                    "note": "demo"})
    progress(f"Peer {peer.code} {peer.name} at {peer.base_url}: key {keys.fingerprint(peer.public_key)}; "
             f"this instance ({keys.instance_code()}): key {keys.fingerprint(own)}")


def setup_peer(main_dir: Path, *, main_url: str = MAIN["url"],
               progress: Callable[[str], None] = lambda line: None) -> None:
    """Hà Nội's side: its center and Department of Justice with demo staff, the procedure, Quảng Ninh as a peer."""
    own = keys.public_pem(keys.ensure_key()[0])
    with transaction.atomic():
        province = _province(PEER)
        agencies = {}
        for kind, code, name in (("center", PEER["center"], "Trung tâm Phục vụ hành chính công thành phố Hà Nội"),
                                 ("justice", PEER["justice"], "Sở Tư pháp thành phố Hà Nội")):
            agencies[kind], _new = Agency.objects.update_or_create(identifier_code=code, defaults={
                "name": name, "unit": province,
                "kind": AgencyKind.SERVICE_CENTER if kind == "center" else AgencyKind.SPECIALIZED})
        users = get_user_model().objects
        for username, first, last, where, roles in PEER_STAFF:
            user = users.filter(username=username).first()
            if user is None:
                user = users.create_user(username, password=DEMO_PASSWORD, first_name=first, last_name=last,
                                         is_staff=True)
            for role in roles:
                Membership.objects.get_or_create(user=user, agency=agencies[where], role=role)
        _load_procedure(PEER)
        peer, _new = Peer.objects.update_or_create(code=MAIN["code"], defaults={
            "name": "MotCua Quảng Ninh (bản thử)", "base_url": main_url, "public_key": _key_of(main_dir),
            "is_active": True})
    progress(f"Peer {peer.code} {peer.name} at {peer.base_url}: key {keys.fingerprint(peer.public_key)}; "
             f"this instance ({keys.instance_code()}): key {keys.fingerprint(own)}")
    for username, _first, _last, where, roles in PEER_STAFF:
        progress(f"    {username} / {DEMO_PASSWORD}  ({', '.join(roles)}, {agencies[where].name})")

