"""Our codes in the national portal's codes. Each table below is the default; an administrator overrides any
entry with a ``CodeMapping`` row (system ``portal``, the kind, our code → theirs), read once per delivery batch."""

from __future__ import annotations

from dataclasses import dataclass, field

from motcua.catalog.models import Channel, Delivery
from motcua.dossiers.models import ApplicantKind
from motcua.dossiers.statuses import NATIONAL_PAYMENT_REQUESTED, NATIONAL_STATUS, PauseKind, Status
from motcua.integrations.models import CodeMapping, MappingKind, System

SYSTEM = System.PORTAL.value

# KenhThucHien: 1 at a counter, 2 online, 3 through the public postal service
CHANNEL: dict[str, str] = {Channel.COUNTER: "1", Channel.ONLINE: "2", Channel.POST_OFFICE: "3",
                           Channel.HOME_PICKUP: "3"}
# HinhThuc (how the result is handed over): 0 at the counter, 1 by post; an electronic result is fetched online,
# which the portal counts with the counter
DELIVERY: dict[str, str] = {Delivery.COUNTER: "0", Delivery.POST: "1", Delivery.ELECTRONIC: "0"}
# LoaiDoiTuong: 1 citizen, 2 business, 3 agency, 4 other
APPLICANT: dict[str, str] = {ApplicantKind.PERSON: "1", ApplicantKind.ORGANIZATION: "2"}
# TrangThaiHoSo 1–10 (dossiers.statuses.NATIONAL_STATUS); a pause for the applicant's fee is 6
STATUS: dict[str, str] = {status: str(code) for status, code in NATIONAL_STATUS.items() if code is not None}
PAID_PAUSE = "paused:financial"
STATUS[PAID_PAUSE] = str(NATIONAL_PAYMENT_REQUESTED)


@dataclass
class Codes:
    """The code tables of one delivery batch: the defaults with the administrator's rows over them."""

    tables: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Codes:
        """The defaults and every ``portal`` mapping row (one query)."""
        tables: dict[str, dict[str, str]] = {
            MappingKind.STATUS: dict(STATUS), MappingKind.CHANNEL: dict(CHANNEL),
            MappingKind.DELIVERY: dict(DELIVERY), MappingKind.APPLICANT: dict(APPLICANT),
            MappingKind.PROCEDURE: {}, MappingKind.UNIT: {},
        }
        for kind, local, remote in CodeMapping.objects.filter(system=SYSTEM).values_list(
                "kind", "local_code", "remote_code"):
            tables.setdefault(kind, {})[local] = remote
        return cls(tables)

    def get(self, kind: str, local: str, default: str | None = None) -> str:
        """Their code for our ``local`` code of ``kind``: the mapping, else ``default``, else ``local`` itself."""
        found = self.tables.get(kind, {}).get(str(local))
        if found is not None:
            return found
        return str(local) if default is None else default

    def status(self, status: str, pause_kind: str = "") -> str | None:
        """TrangThaiHoSo of a dossier in ``status`` (``None`` for a draft, which the portal never sees)."""
        if status == Status.DRAFT or not status:
            return None
        if status == Status.PAUSED and pause_kind == PauseKind.FINANCIAL:
            return self.get(MappingKind.STATUS, PAID_PAUSE)
        return self.get(MappingKind.STATUS, status)
