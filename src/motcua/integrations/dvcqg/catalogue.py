"""The national procedure catalogue imported from the portal (``motcua sync_catalog``): each local procedure
mapped to its national code (``CodeMapping`` rows of kind ``procedure``, local code → national code, with the
national name and the local version it was matched on).

A local procedure whose code is a national code maps to it; otherwise one whose current name is a national
procedure's name (case and spacing aside) maps to that one; otherwise it stays unmapped (its packets carry the
local code, which the portal refuses: the admin adds the row by hand). A row an administrator wrote is kept.
Running it again changes nothing it need not change.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.integrations.dvcqg import client as portal
from motcua.integrations.dvcqg.codes import SYSTEM
from motcua.integrations.models import CodeMapping, MappingKind

MARK = "sync_catalog"  # the note of the rows this import wrote (an admin's rows have their own)
PAGE = 100


@dataclass
class Summary:
    national: int = 0  # procedures in the national catalogue
    new: int = 0  # mapping rows written by this run
    updated: int = 0  # rows whose national code or name changed
    mapped: int = 0  # local procedures with a national code
    unmapped: list[str] = field(default_factory=list)  # local codes with none
    national_only: int = 0  # national procedures this province does not offer


def _name(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def fetch(progress: Callable[[str], None] = lambda line: None) -> list[dict[str, Any]]:
    """The whole national catalogue, a page at a time."""
    api = portal.client()
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = api.catalogue(page, PAGE)
        batch = [row for row in answer.get("DanhSach") or [] if isinstance(row, dict) and row.get("MaTTHC")]
        rows.extend(batch)
        total = int(answer.get("TongSo") or len(rows))
        progress(f"{len(rows)}/{total}")
        if not batch or len(rows) >= total:
            return rows
        page += 1


def sync_catalog(progress: Callable[[str], None] = lambda line: None) -> Summary:
    national = fetch(progress)
    by_code = {str(row["MaTTHC"]): row for row in national}
    by_name: dict[str, dict[str, Any]] = {}
    for row in national:
        by_name.setdefault(_name(str(row.get("TenTTHC", ""))), row)
    current: dict[int, tuple[int, str]] = {}
    for procedure_id, number, name in ProcedureVersion.objects.order_by("procedure_id", "number").values_list(
            "procedure_id", "number", "name_vi"):
        current[procedure_id] = (number, name)
    summary = Summary(national=len(national))
    used: set[str] = set()
    with transaction.atomic():
        existing = {mapping.local_code: mapping for mapping in CodeMapping.objects.select_for_update().filter(
            system=SYSTEM, kind=MappingKind.PROCEDURE)}
        for procedure in Procedure.objects.order_by("code"):
            number, name = current.get(procedure.pk, (0, ""))
            mapping = existing.get(procedure.code)
            if mapping is not None and mapping.note != MARK and not mapping.note.startswith(f"{MARK} "):
                summary.mapped += 1  # the administrator's row
                used.add(mapping.remote_code)
                continue
            match = by_code.get(procedure.code) or by_name.get(_name(name))
            if match is None:
                summary.unmapped.append(procedure.code)
                continue
            remote, remote_name = str(match["MaTTHC"]), str(match.get("TenTTHC", ""))[:300]
            note = f"{MARK} v{number}"
            used.add(remote)
            summary.mapped += 1
            if mapping is None:
                CodeMapping.objects.create(system=SYSTEM, kind=MappingKind.PROCEDURE, local_code=procedure.code,
                                           remote_code=remote, remote_name=remote_name, note=note)
                summary.new += 1
            elif (mapping.remote_code, mapping.remote_name, mapping.note) != (remote, remote_name, note):
                mapping.remote_code, mapping.remote_name, mapping.note = remote, remote_name, note
                mapping.save(update_fields=["remote_code", "remote_name", "note"])
                summary.updated += 1
    summary.national_only = len(set(by_code) - used)
    return summary
