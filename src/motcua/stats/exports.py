"""Exports of every statistics view, streamed: CSV (``StreamingHttpResponse``, a row at a time) and XLSX
(XlsxWriter in ``constant_memory`` mode writes each row to disk as it comes, then the file is streamed): a
province's year of dossiers exports without holding it in memory.

A view builds its rows as an iterator (a ``QuerySet.iterator()``, a generator) and calls :func:`export`.

Text is written as text, never as a formula or a link: a cell starting with ``=``, ``+``, ``-`` or ``@`` (a name
typed by a citizen, say) cannot run in the spreadsheet of whoever opens the file (CSV: prefixed with ``'``).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse

from motcua.core.calendar import VN_TZ

FORMATS = ("csv", "xlsx")


class _Echo:
    def write(self, value: str) -> str:
        return value


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell: local times without zone, decimals as numbers, None as empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, (int, float, date, str)):
        return value
    return str(value)


def export(fmt: str, filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]],
           sheet: Any = "") -> HttpResponseBase:
    """``rows`` (any iterable, consumed once) as ``filename.csv`` or ``filename.xlsx`` under ``header``; ``sheet``
    names the XLSX worksheet (what it holds; "Sheet1" when empty)."""
    if fmt == "xlsx":
        return _xlsx(filename, header, rows, sheet_title(sheet))
    return _csv(filename, header, rows)


SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(title: Any) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``, not starting or ending with
    an apostrophe."""
    return str(title or "").translate(SHEET_FORBIDDEN).strip().strip("'")[:31].strip()


def _csv(filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterable[str]:
        yield "\ufeff"  # a BOM: spreadsheet programs then read the Vietnamese letters as UTF-8
        yield writer.writerow([str(h) for h in header])
        for row in rows:
            yield writer.writerow([_csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    value = cell(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


def _xlsx(filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], sheet_name: str = "") -> FileResponse:
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when the response is done
    book = xlsxwriter.Workbook(spool, {"constant_memory": True, "in_memory": False,
                                       "default_date_format": "dd/mm/yyyy", "strings_to_formulas": False,
                                       "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet(sheet_name or None)
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    sheet.write_row(0, 0, [str(h) for h in header], bold)
    sheet.freeze_panes(1, 0)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            value = cell(value)
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, when)
            else:
                sheet.write(r, c, value)
    book.close()
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=f"{filename}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
