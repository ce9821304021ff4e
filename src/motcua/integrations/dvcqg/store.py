"""The citizens' national document store (Kho quản lý dữ liệu điện tử của công dân) behind the national portal:
a citizen's documents, listed by ID number, so that an officer or the citizen reuses one instead of asking for a
copy. Results issued here are pushed there by the outbox (``dvcqg.sync.deliver_store``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.integrations.dvcqg import client as portal
from motcua.integrations.dvcqg.packet import FORMAT, VN_TZ

ID_NUMBER_LENGTHS = (9, 10, 12, 13)  # old ID card, tax code, citizen ID, tax code with a branch


@dataclass(frozen=True)
class NationalDocument:
    name: str
    code: str
    issuer: str
    issued: str  # ISO date ("" unknown)
    source: str  # where the store got it: a national database, or MotCua
    dossier: str  # the MotCua dossier it resulted from ("" for another source)
    sha256: str
    url: str


def _date(value: Any) -> str:
    try:
        return datetime.strptime(str(value), FORMAT).replace(tzinfo=VN_TZ).date().isoformat()
    except ValueError:
        return ""


def citizen_documents(id_number: str) -> list[NationalDocument]:
    """The documents the national store holds for ``id_number`` (a :class:`~.client.PortalError` when it cannot
    tell: not set up, down, or refusing)."""
    number = id_number.strip()
    if not number.isdigit() or len(number) not in ID_NUMBER_LENGTHS:
        raise portal.PortalError("store_bad_id", _("“%(number)s” is not a citizen ID or tax code."),
                                 {"number": number[:20]}, retry=False)
    if not settings.MOTCUA_DVCQG_URL:
        raise portal.not_configured()
    rows = portal.client().documents(number)
    return [NationalDocument(
        name=str(row.get("TenGiayTo", "")), code=str(row.get("MaGiayToKetQua", "")),
        issuer=str(row.get("CoQuanCap", "")), issued=_date(row.get("NgayCap", "")),
        source=str(row.get("NguonDuLieu", "")), dossier=str(row.get("MaHoSo", "")),
        sha256=str(row.get("MaBam", "")), url=str(row.get("DuongDan", "")),
    ) for row in rows]
