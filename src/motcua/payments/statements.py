"""Statements from outside: the bank's account statement, the payment gateway's transaction report and the
carrier's cash-on-delivery statement, imported as :class:`StatementLine` rows, and bank transfers matched.

:func:`import_lines` is the one way in (the file readers below and the carrier's statement feed it): a line is
known by its source's own reference, so importing the same file twice adds nothing. Then each new line is linked:

- a **bank** line whose note carries a dossier's transfer reference (``selectors.transfer_reference``: what the
  VietQR code puts in the note) and pays exactly what the dossier owes becomes that dossier's payment, through
  ``services.record_collection(method="transfer", key="bank:<name>:<reference>")`` (so a line is paid once
  however often it is imported). Any other line (no dossier named, a different amount, nothing due, a refused
  dossier) stays unmatched with its reason in :attr:`ImportResult.unmatched`; the daily reconciliation lists it.
- a **gateway** line is linked to the payment of its order reference;
- a **carrier** line to the dossier's cash-on-delivery payment (by waybill, or by the order number, which is the
  dossier code).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.payments import selectors, services
from motcua.payments.models import Payment, PaymentMethod, PaymentStatus, StatementLine, StatementSource

BANK = Actor(None, "Ngân hàng")  # who records a matched transfer: the bank's statement, not a person
BATCH = 2000

# a dossier code with its dots and dashes dropped, after the transfer prefix: agency (10), day (6), number (4+)
_IN_NOTE = re.compile(selectors.TRANSFER_PREFIX + r"(\d{7}[A-Z]\d{2})(\d{6})(\d{4,8})")


class StatementError(MotCuaError):
    pass


@dataclass
class ImportResult:
    created: int = 0
    already: int = 0  # lines imported before (same reference)
    ignored: int = 0  # rows that move no money (a failed transaction in the gateway's report)
    matched: int = 0  # new lines linked to a payment (bank lines: the payment they became)
    unmatched: list[tuple[StatementLine, str]] = field(default_factory=list)  # new lines and why


# --- reading files ---------------------------------------------------------------------------------------------

BANK_COLUMNS = {"date": ("date", "ngay", "ngày", "transaction date"),
                "reference": ("reference", "ref", "so tham chieu", "số tham chiếu", "transaction id"),
                "amount": ("amount", "so tien", "số tiền", "credit"),
                "note": ("note", "description", "noi dung", "nội dung")}
GATEWAY_COLUMNS = {"order_ref": ("order_ref", "txnref", "vnp_txnref", "ma don hang", "mã đơn hàng"),
                   "transaction": ("transaction no", "transaction_no", "transactionno", "vnp_transactionno",
                                   "ma giao dich", "mã giao dịch"),
                   "amount": ("amount", "so tien", "số tiền"),
                   "paid": ("paid time", "paid_time", "pay_date", "paydate", "thoi gian", "thời gian"),
                   "status": ("status", "trang thai", "trạng thái")}
GATEWAY_SUCCESS = frozenset({"00", "success", "successful", "paid", "thanh cong", "thành công"})


def rows_of(data: bytes, filename: str = "") -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8, with or without BOM; comma or semicolon) or XLSX file, keyed by header."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        return _xlsx_rows(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StatementError("not_utf8", _("The statement file must be CSV in UTF-8, or XLSX.")) from None
    dialect: Any = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    return [{str(k or "").strip().lower(): str(v or "").strip() for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(text), dialect=dialect)]


def _xlsx_rows(data: bytes) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # noqa: BLE001 - any unreadable workbook is the same refusal
        raise StatementError("unreadable", _("The statement file could not be read.")) from None
    values = list(sheet.iter_rows(values_only=True))
    if not values:
        return []
    header = [str(cell or "").strip().lower() for cell in values[0]]
    return [{header[i]: _cell(cell) for i, cell in enumerate(row) if i < len(header)} for row in values[1:]
            if any(cell not in (None, "") for cell in row)]


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _column(row: Mapping[str, str], names: Iterable[str]) -> str:
    for name in names:
        if name in row:
            return row[name]
    return ""


def parse_amount(value: str) -> int:
    """``30.000`` / ``30,000`` / ``30000`` / ``-30.000`` → whole đồng (the statements carry no fractions)."""
    text = value.strip().replace(" ", "")
    negative = text.startswith("-")
    digits = re.sub(r"[.,](\d{3})", r"\1", text.lstrip("+-"))
    if not digits.isdigit():
        raise ValueError(value)
    return -int(digits) if negative else int(digits)


DAY_FORMATS = (("%Y-%m-%d %H:%M:%S", 19), ("%Y-%m-%dT%H:%M:%S", 19), ("%d/%m/%Y %H:%M:%S", 19),
               ("%Y%m%d%H%M%S", 14), ("%Y-%m-%d", 10), ("%d/%m/%Y", 10), ("%d-%m-%Y", 10), ("%Y%m%d", 8))


def parse_day(value: str) -> date:
    """The day of ``2026-11-25``, ``25/11/2026``, ``20261125``, with or without a time."""
    text = value.strip()
    for pattern, length in DAY_FORMATS:
        if len(text) >= length:
            try:
                return datetime.strptime(text[:length], pattern).date()
            except ValueError:
                continue
    raise ValueError(value)


def bank_rows(rows: Iterable[Mapping[str, str]]) -> Iterator[dict[str, Any]]:
    """A bank statement's rows (date, reference, amount, note) as :func:`import_lines` takes them."""
    for number, row in enumerate(rows, start=2):
        try:
            yield {"day": parse_day(_column(row, BANK_COLUMNS["date"])),
                   "reference": _required(_column(row, BANK_COLUMNS["reference"]), number, "reference"),
                   "amount": parse_amount(_column(row, BANK_COLUMNS["amount"])),
                   "note": _column(row, BANK_COLUMNS["note"]), "raw": dict(row)}
        except ValueError:
            raise StatementError("bad_row", _("Line %(line)s of the statement cannot be read (date, reference, "
                                              "amount, note)."), {"line": number}) from None


def gateway_rows(rows: Iterable[Mapping[str, str]]) -> Iterator[dict[str, Any]]:
    """A gateway's transaction report (order_ref, transaction no, amount, paid time, status); unsuccessful
    transactions are marked ``ignored`` (they moved no money)."""
    for number, row in enumerate(rows, start=2):
        try:
            status = _column(row, GATEWAY_COLUMNS["status"]).lower()
            yield {"day": parse_day(_column(row, GATEWAY_COLUMNS["paid"])),
                   "reference": _required(_column(row, GATEWAY_COLUMNS["transaction"]), number, "transaction"),
                   "amount": parse_amount(_column(row, GATEWAY_COLUMNS["amount"])),
                   "note": _column(row, GATEWAY_COLUMNS["order_ref"]), "raw": dict(row),
                   "ignored": bool(status) and status not in GATEWAY_SUCCESS}
        except ValueError:
            raise StatementError("bad_row", _("Line %(line)s of the report cannot be read (order_ref, transaction "
                                              "no, amount, paid time, status)."), {"line": number}) from None


def _required(value: str, line: int, name: str) -> str:
    if not value:
        raise ValueError(name)
    return value


def import_file(source: str, name: str, data: bytes, filename: str = "", *, day: date | None = None,
                progress: Any = None) -> ImportResult:
    """Read a bank statement or a gateway report and :func:`import_lines` it."""
    rows = rows_of(data, filename)
    if source == StatementSource.BANK:
        parsed = list(bank_rows(rows))
    elif source == StatementSource.GATEWAY:
        parsed = list(gateway_rows(rows))
    else:
        parsed = [_generic(row, number) for number, row in enumerate(rows, start=2)]
    return import_lines(source, name, day, parsed, progress=progress)


def _generic(row: Mapping[str, str], number: int) -> dict[str, Any]:
    """A carrier's statement as a CSV with our own columns: date, reference (waybill), amount, dossier_code."""
    try:
        return {"day": parse_day(row.get("date", "")), "reference": _required(row.get("reference", ""), number, "r"),
                "amount": parse_amount(row.get("amount", "")), "note": row.get("note", "") or row.get("reference", ""),
                "dossier_code": row.get("dossier_code", ""), "raw": dict(row)}
    except ValueError:
        raise StatementError("bad_row", _("Line %(line)s of the statement cannot be read (date, reference, amount, "
                                          "dossier_code)."), {"line": number}) from None


# --- importing and matching --------------------------------------------------------------------------------------


def import_lines(source: str, name: str, day: date | None, rows: Iterable[Mapping[str, Any]], *,
                 progress: Any = None) -> ImportResult:
    """Store ``rows`` (``reference``, ``amount``, ``note``; optionally ``day``, ``dossier_code``, ``raw``,
    ``ignored``) as ``source``'s statement ``name`` of ``day`` (a row's own ``day`` wins), then link the new
    lines (see the module). Lines already imported (same source, name and reference) are counted, not added.
    ``progress(done, total)`` is called every batch."""
    if source not in StatementSource.values:
        raise StatementError("unknown_source", _("The statement's source must be bank, gateway or carrier."))
    if not name:
        raise StatementError("name_required", _("Name the statement's bank, gateway or carrier."))
    result = ImportResult()
    wanted: list[StatementLine] = []
    for row in rows:
        if row.get("ignored"):
            result.ignored += 1
            continue
        line_day = row.get("day") or day
        if line_day is None:
            raise StatementError("day_required", _("Give the statement's day."))
        wanted.append(StatementLine(
            source=source, name=name[:50], day=line_day, reference=str(row["reference"])[:100],
            amount=int(row["amount"]), note=str(row.get("note", ""))[:500],
            dossier_code=str(row.get("dossier_code", ""))[:50], raw=_jsonable(row.get("raw") or {}),
        ))
    seen: set[str] = set()
    fresh: list[StatementLine] = []
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start:start + BATCH]
        known = set(StatementLine.objects.filter(source=source, name=name[:50],
                                                 reference__in=[line.reference for line in chunk])
                    .values_list("reference", flat=True))
        new = [line for line in chunk if line.reference not in known and line.reference not in seen]
        seen.update(line.reference for line in new)
        result.already += len(chunk) - len(new)
        StatementLine.objects.bulk_create(new, ignore_conflicts=True)
        fresh += new
        if progress is not None:
            progress(min(start + BATCH, len(wanted)), len(wanted))
    stored = list(StatementLine.objects.filter(source=source, name=name[:50],
                                               reference__in=[line.reference for line in fresh], payment__isnull=True))
    result.created = len(fresh)
    for line in stored:
        why = link(line)
        if why:
            result.unmatched.append((line, why))
        else:
            result.matched += 1
    return result


def _jsonable(raw: Mapping[str, Any]) -> dict[str, str]:
    return {str(k)[:100]: str(v)[:500] for k, v in list(raw.items())[:40]}


def dossier_in_note(note: str) -> tuple[Dossier | None, str]:
    """The dossier whose transfer reference the note carries, or ``None`` and why (``no_dossier``,
    ``ambiguous``)."""
    text = selectors.references_in(note)
    candidates: set[str] = set()
    for found in _IN_NOTE.finditer(text):
        agency, day, digits = found.groups()
        agency_code = f"{agency[:3]}.{agency[3:5]}.{agency[5:7]}.{agency[7:]}"
        candidates.update(f"{agency_code}-{day}-{digits[:n]}" for n in range(4, len(digits) + 1))
    if not candidates:
        return None, "no_dossier"
    dossiers = [d for d in Dossier.objects.filter(code__in=candidates)
                if selectors.transfer_reference(d.code) in text]
    if len(dossiers) != 1:
        return None, "ambiguous" if dossiers else "no_dossier"
    return dossiers[0], ""


def link(line: StatementLine) -> str:
    """Link one stored line to its payment (a bank line may become one); ``""``, or why it stays unmatched."""
    if line.source == StatementSource.BANK:
        return _match_transfer(line)
    query = Payment.objects.filter(status__in=[PaymentStatus.PAID, PaymentStatus.REFUND_DUE])
    if line.source == StatementSource.GATEWAY:
        payment = query.filter(method=PaymentMethod.GATEWAY, order_ref=line.note).first()
    else:
        by = Q(reference=line.reference)
        if line.dossier_code:
            by |= Q(dossier__code=line.dossier_code)
        payment = query.filter(by, method=PaymentMethod.COD).order_by("pk").first()
    if payment is None:
        return "no_payment"
    StatementLine.objects.filter(pk=line.pk).update(payment=payment, dossier_code=payment.dossier.code)
    line.payment = payment
    # a negative line is money going back (a refund): the reconciliation pairs it with the refund
    return "" if payment.amount == line.amount or line.amount < 0 else "amount_differs"


def _match_transfer(line: StatementLine) -> str:
    if line.amount <= 0:
        return "not_a_payment"
    dossier, why = dossier_in_note(line.note)
    if dossier is None:
        return why
    StatementLine.objects.filter(pk=line.pk).update(dossier_code=dossier.code)
    line.dossier_code = dossier.code
    if dossier.status in selectors.UNPAYABLE:
        return "dossier_closed"
    due = selectors.amount_due(dossier)
    if due == 0:
        return "nothing_due"
    if line.amount != due:
        return "amount_differs"
    try:
        payment = services.record_collection(
            code=dossier.code, method=PaymentMethod.TRANSFER, amount=line.amount, actor=BANK, point_id=None,
            reference=line.reference, key=f"bank:{line.name}:{line.reference}",
        )
    except MotCuaError as exc:  # paid meanwhile, closed meanwhile: unmatched, listed
        return exc.code
    StatementLine.objects.filter(pk=line.pk).update(payment=payment)
    line.payment = payment
    return ""


def now_day() -> date:
    return timezone.now().astimezone(VN_TZ).date()

