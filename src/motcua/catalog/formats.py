"""Reading and writing catalogue files (JSON, XLSX) — docs/catalog-format.md.

Readers return the decoded document and a map from each value's path to where it stands in the file, so that
validation errors can say ``fees!B7`` rather than ``procedures[3].fees[0].amount``.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from motcua.catalog.services import Locations
from motcua.core.errors import MotCuaError

MAX_FILE_BYTES = 50 * 1024 * 1024
LIST_KEYS = ("legal_basis", "channels", "result_delivery", "agencies")
CHILD_SHEETS: dict[str, tuple[str, ...]] = {
    "components": ("name_vi", "name_en", "originals", "copies", "required", "reusable", "filled_by_eform",
                   "template_name", "template_url"),
    "fees": ("name_vi", "amount", "note", "exemptions", "per_field"),
    "results": ("name_vi", "name_en"),
    "workflow": ("name_vi", "role", "agency_kind", "days"),
    "result_templates": ("name", "result", "book", "body", "valid_for_days", "paper"),
}
PROCEDURE_COLUMNS = (
    "code", "name_vi", "name_en", "field", "level", "implementing_body", "processing_days", "processing_note",
    "requirements", "how_to", "legal_basis", "online_level", "channels", "result_delivery", "boundary_free",
    "unsigned_results_allowed", "fee_timing", "decision_no", "effective_from", "status", "source", "agencies",
    "eform",
)
# Structured values kept as JSON text in one cell (the e-form's fields, a fee's exemptions).
JSON_KEYS = {"eform", "exemptions"}
TEXT_KEYS = {"code", "field", "procedure", "decision_no"}


def read_catalog_file(path: Path) -> tuple[Any, Locations | None]:
    suffix = path.suffix.lower()
    if suffix not in (".json", ".xlsx"):
        raise MotCuaError(
            "unsupported_format", _("Only .json and .xlsx catalogue files can be read, not %(name)s."),
            {"name": path.name},
        )
    try:
        size = path.stat().st_size
    except OSError:
        raise MotCuaError("file_not_found", _("The file %(name)s does not exist."), {"name": str(path)}) from None
    if size > MAX_FILE_BYTES:
        raise MotCuaError("file_too_large", _("The file is larger than %(limit)s MB."), {"limit": 50})
    content = path.read_bytes()
    return (read_json(content), None) if suffix == ".json" else read_xlsx(content)


def read_json(content: bytes) -> Any:
    try:
        return json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise MotCuaError("not_utf8", _("The file is not UTF-8 text.")) from None
    except json.JSONDecodeError as exc:
        raise MotCuaError(
            "invalid_json", _("The file is not valid JSON: %(error)s (line %(line)s, column %(column)s)."),
            {"error": exc.msg, "line": exc.lineno, "column": exc.colno},
        ) from None


def _cell_value(key: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if key in TEXT_KEYS and isinstance(value, int | float):
        return str(value)
    if key in LIST_KEYS:
        return [part.strip() for part in str(value).split(";") if part.strip()]
    if key in JSON_KEYS:
        try:
            return json.loads(str(value))
        except json.JSONDecodeError:
            return str(value)  # reported by the format's validation, with the cell
    if isinstance(value, str):
        return value.strip()
    return value


def read_xlsx(content: bytes) -> tuple[dict[str, Any], Locations]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise MotCuaError("invalid_xlsx", _("The file is not a readable Excel workbook (.xlsx).")) from None
    if "procedures" not in workbook.sheetnames:
        raise MotCuaError("missing_sheet", _("The workbook has no sheet named %(sheet)s."), {"sheet": "procedures"})

    locations: Locations = {}

    def rows(sheet_name: str) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
        if sheet_name not in workbook.sheetnames:
            return []
        sheet = workbook[sheet_name]
        out = []
        header: list[str] = []
        for row_number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if row_number == 1:
                header = [str(h).strip() if h is not None else "" for h in row]
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            values: dict[str, Any] = {}
            cells: dict[str, str] = {}
            for col, (key, value) in enumerate(zip(header, row, strict=False), start=1):
                if not key or value is None or (isinstance(value, str) and not value.strip()):
                    continue
                values[key] = _cell_value(key, value)
                cells[key] = f"{sheet_name}!{get_column_letter(col)}{row_number}"
            out.append((row_number, values, cells))
        return out

    document: dict[str, Any] = {"fields": [], "procedures": []}
    for i, (row_number, values, cells) in enumerate(rows("fields")):
        document["fields"].append(values)
        locations[("fields", i)] = f"fields!{row_number}"
        locations.update({("fields", i, k): c for k, c in cells.items()})

    index: dict[str, int] = {}
    for i, (row_number, values, cells) in enumerate(rows("procedures")):
        values.update({key: [] for key in CHILD_SHEETS})
        document["procedures"].append(values)
        locations[("procedures", i)] = f"procedures!{row_number}"
        locations.update({("procedures", i, k): c for k, c in cells.items()})
        index.setdefault(str(values.get("code", "")), i)

    for sheet_name in CHILD_SHEETS:
        for row_number, values, cells in rows(sheet_name):
            code = str(values.pop("procedure", ""))
            if code not in index:
                raise MotCuaError(
                    "unknown_procedure_row",
                    _("Row %(row)s of sheet %(sheet)s names the procedure %(code)s, which is not in the sheet "
                      "procedures."),
                    {"row": row_number, "sheet": sheet_name, "code": code or "—"},
                    location=f"{sheet_name}!A{row_number}",
                )
            i = index[code]
            children = document["procedures"][i][sheet_name]
            j = len(children)
            children.append(values)
            locations[("procedures", i, sheet_name, j)] = f"{sheet_name}!{row_number}"
            locations.update({("procedures", i, sheet_name, j, k): c for k, c in cells.items() if k != "procedure"})
    return document, locations


def write_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def write_xlsx(document: dict[str, Any]) -> bytes:
    workbook = Workbook()
    bold = Font(bold=True)

    def sheet(name: str, columns: tuple[str, ...], records: list[dict[str, Any]], first: bool = False) -> None:
        ws = workbook.active if first else workbook.create_sheet(name)
        assert ws is not None
        ws.title = name
        ws.append(list(columns))
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "A2"
        for record in records:
            row = []
            for key in columns:
                value = record.get(key, "")
                if key in JSON_KEYS:
                    value = json.dumps(value, ensure_ascii=False) if value else ""
                elif isinstance(value, list):
                    value = "; ".join(str(v) for v in value)
                elif isinstance(value, date):
                    value = value.isoformat()
                row.append(value)
            ws.append(row)
        for col, key in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(col)].width = 40 if key.startswith("name") else 16
        for row_cells in ws.iter_rows(min_row=2):
            for cell in row_cells:
                if columns[cell.column - 1] in TEXT_KEYS:
                    cell.number_format = "@"

    sheet("fields", ("code", "name_vi", "name_en"), document.get("fields", []), first=True)
    sheet("procedures", PROCEDURE_COLUMNS, document.get("procedures", []))
    for name, columns in CHILD_SHEETS.items():
        records = [
            {"procedure": proc["code"], **child}
            for proc in document.get("procedures", [])
            for child in proc.get(name, [])
        ]
        sheet(name, ("procedure", *columns), records)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
