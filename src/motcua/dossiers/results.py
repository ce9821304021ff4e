"""Result documents: the draft filled from a result template, the QR code of Circular 01/2023/TT-VPCP stamped in
the top-left corner of any result PDF, and the register numbers (gap-free per agency, book and year).

- :func:`result_context` gathers what a template may print (``catalog.result_fields``) from the dossier, its
  applicant and its e-form; :func:`render_result` renders a template into the official page (PDF, WeasyPrint);
- :func:`qr_payload` is the text of the QR code of a result (art. 12 of Circular 01/2023/TT-VPCP: the dossier
  code, the procedure code, the applicant's identification number, the document's name, the information system,
  the time of issue and the validity), followed by the address of its verification page; :func:`parse_qr_payload`
  reads it back;
- :func:`stamp_result` draws that QR code and the register number in the top-left corner of page 1 of a PDF
  (a rendered draft or the file an officer re-uploaded), with pypdf;
- :func:`take_result_number` takes the next number of a register book inside the issuing transaction.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

from motcua.agencies.models import Agency
from motcua.agencies.selectors import superior_body
from motcua.catalog.eforms import EFormField, fields_of
from motcua.catalog.models import ResultTemplate
from motcua.catalog.result_templates import QR_ZONE_MM, SIGNATURE_ANCHOR, SIGNATURE_ZONE_MM, render_pdf
from motcua.core.calendar import VN_TZ
from motcua.core.counters import take_next
from motcua.core.web import public_url
from motcua.dossiers.models import ApplicantKind, Dossier, IssuedResult, ResultCounter, register_number
from motcua.dossiers.slips import place_name

MM = 72 / 25.4  # PDF points per millimetre
QR_SIZE_MM = 24.0
QR_OFFSET_MM = 5.0  # from the page's top and left edges

# The lines of the QR text, in order: (key, the label printed before the value). Circular 01/2023/TT-VPCP,
# art. 12(2): dossier code, procedure code, identification code of the organization or individual, name of the
# document, name of the information system, time of issue, and for a result its validity (and scope).
QR_LINES: tuple[tuple[str, str], ...] = (
    ("dossier_code", "Mã hồ sơ"),
    ("procedure_code", "Mã TTHC"),
    ("applicant_id", "Mã định danh"),
    ("document", "Tên giấy tờ"),
    ("system", "Hệ thống"),
    ("issued_at", "Thời gian ban hành"),
    ("validity", "Hiệu lực"),
    ("number", "Số"),
    ("verify_url", "Xác thực"),
)
NO_EXPIRY = "Không thời hạn"


# --- the context and the draft ----------------------------------------------------------------------------------


def _day(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    return value.strftime("%d/%m/%Y")


def _long_day(value: date) -> str:
    return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"


def _form_text(field: EFormField, value: Any) -> str:
    """An e-form value as a document prints it: dates dd/mm/yyyy, a choice by its label, a checkbox ✔."""
    if value in (None, ""):
        return ""
    if field.type == "checkbox":
        return "✔" if value else ""
    if field.type == "select":
        choice = next((c for c in field.choices if c.value == value), None)
        return choice.label_vi if choice else str(value)
    if field.type == "date":
        try:
            return _day(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


def issuing_agency(dossier: Dossier) -> Agency:
    """The agency whose result it is: the agency of the workflow's signing step (else the leader's, else the one
    holding the dossier, else the one that received it)."""
    plan = dossier.plan or []
    for role in ("signer", "leader"):
        step = next((s for s in reversed(plan) if s.get("role") == role and s.get("agency")), None)
        if step is not None:
            found = Agency.objects.select_related("unit__parent", "parent").filter(pk=step["agency"]).first()
            if found is not None:
                return found
    agency_id = dossier.current_agency_id or dossier.receiving_agency_id
    return Agency.objects.select_related("unit__parent", "parent").get(pk=agency_id)


def valid_until(template: ResultTemplate, issued_at: datetime) -> date | None:
    """The last day a result issued at ``issued_at`` from ``template`` is valid (``None``: no expiry)."""
    if template.valid_for_days is None:
        return None
    return issued_at.astimezone(VN_TZ).date() + timedelta(days=template.valid_for_days)


def result_context(dossier: Dossier, template: ResultTemplate, *, number: str | None = None,
                   issued_at: datetime | None = None, agency: Agency | None = None) -> dict[str, Any]:
    """What ``template`` may print for ``dossier`` (the names of ``catalog.result_fields``), all as text.
    ``number``: the register number (``12/2026/GP``), blank on a draft; ``issued_at``: now by default."""
    issued = issued_at or timezone.now()
    agency = agency or issuing_agency(dossier)
    today = timezone.localtime(timezone.now(), VN_TZ).date()
    expiry = valid_until(template, issued)
    values = dossier.form_data or {}
    name = template.result.name_vi if template.result_id and template.result else template.name
    unit = agency.unit
    return {
        "dossier": {"code": dossier.code, "received_at": _day(dossier.received_at), "due_at": _day(dossier.due_at)},
        "procedure": {"code": dossier.version.procedure.code, "name": dossier.version.name_vi},
        "applicant": {
            "name": dossier.applicant_name, "id_number": dossier.applicant_id_number,
            "address": dossier.applicant_address, "phone": dossier.applicant_phone,
            "kind": ApplicantKind(dossier.applicant_kind).label if dossier.applicant_kind in ApplicantKind.values
            else dossier.applicant_kind,
        },
        "agency": {"name": agency.name, "superior": superior_body(agency), "unit": unit.name if unit else "",
                   "place": place_name(agency)},
        "result": {"name": name, "number": number or "", "book": template.book,
                   "issued_at": _day(issued), "valid_until": _day(expiry)},
        "form": {f.name: _form_text(f, values.get(f.name)) for f in fields_of(dossier.version)},
        "today": _day(today),
        "today_long": _long_day(today),
    }


def render_result(dossier: Dossier, template: ResultTemplate, *, number: str | None = None,
                  issued_at: datetime | None = None) -> bytes:
    """``template`` filled for ``dossier`` as the official document (PDF): the national heading, the issuing
    agency, "Số: …" (``number``, or dots on a draft), the body, and blank zones for the QR code (top-left of page
    1) and the signatures (bottom-right of the last page, anchor ``signature-zone``). Raises
    ``catalog.result_templates.TemplateInvalid`` if the template cannot be filled."""
    issued = issued_at or timezone.now()
    agency = issuing_agency(dossier)
    context = result_context(dossier, template, number=number, issued_at=issued, agency=agency)
    year = issued.astimezone(VN_TZ).year
    heading = {
        "title": context["result"]["name"], "superior": context["agency"]["superior"], "agency": agency.name,
        "number_text": number or register_number(None, year, template.book),
        "place": context["agency"]["place"], "date_text": _long_day(issued.astimezone(VN_TZ).date()),
        "footer": f"Mã hồ sơ {dossier.code}", "recipient": dossier.applicant_name, "dossier_code": dossier.code,
        "signer_title": f"TM. {agency.name.upper()}",
    }
    return render_pdf(template.body, context, paper=template.paper, heading=heading)


# --- the QR code of Circular 01/2023/TT-VPCP ----------------------------------------------------------------------


def verification_url(code: str) -> str:
    """The public address that verifies the issued result with ``code`` (printed in its QR code)."""
    return public_url(reverse("portal:verify_code", args=[code]))


def qr_payload(*, dossier_code: str, procedure_code: str, applicant_id: str, document: str,
               issued_at: datetime, valid_until: date | None, verification_code: str, number: str = "",
               system: str | None = None) -> str:
    """The text of a result's QR code: one ``label: value`` line per datum of Circular 01/2023/TT-VPCP (art.
    12), then the verification address. Read back with :func:`parse_qr_payload`."""
    values = {
        "dossier_code": dossier_code, "procedure_code": procedure_code, "applicant_id": applicant_id,
        "document": document, "system": system or settings.MOTCUA_SYSTEM_NAME,
        "issued_at": issued_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M"),
        "validity": f"đến hết ngày {_day(valid_until)}" if valid_until else NO_EXPIRY,
        "number": number, "verify_url": verification_url(verification_code),
    }
    return "\n".join(f"{label}: {' '.join(str(values[key]).split())}" for key, label in QR_LINES if values[key])


def parse_qr_payload(text: str) -> dict[str, str]:
    """The values of a QR text made by :func:`qr_payload`, by key (``dossier_code``, ``verify_url``, …)."""
    keys = {label: key for key, label in QR_LINES}
    values = {}
    for line in text.splitlines():
        label, _sep, value = line.partition(": ")
        if label in keys:
            values[keys[label]] = value
    return values


def qr_payload_for(issued: IssuedResult) -> str:
    """The QR text of a result in the register."""
    dossier = issued.dossier
    return qr_payload(
        dossier_code=dossier.code, procedure_code=dossier.version.procedure.code,
        applicant_id=dossier.applicant_id_number, document=issued.name, issued_at=issued.issued_at,
        valid_until=issued.valid_until, verification_code=issued.verification_code,
        number=issued.register_number,
    )


def _overlay(width: float, height: float, payload: str, number_text: str) -> bytes:
    """One transparent page of ``width`` × ``height`` points with the QR code and the number in its corner."""
    from weasyprint import HTML, URLFetcher  # loaded when a document is rendered (heavy), as dossiers.slips does

    qr = segno.make(payload, error="m", micro=False).svg_data_uri(scale=4, border=2, dark="#000", light="#fff")
    html = render_to_string("dossiers/results/stamp.html", {
        "width": width, "height": height, "qr": qr, "number_text": number_text,
        "size": QR_SIZE_MM, "offset": QR_OFFSET_MM, "number_top": QR_OFFSET_MM + QR_SIZE_MM + 1,
        "number_width": QR_ZONE_MM[2] - 3,
    })
    return bytes(HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=["data"])).write_pdf())


def _drawn_corner(height: float, payload: str, number_text: str) -> bytes | None:
    """The corner as PDF operators — the QR code's dark modules as rectangles (one per run of a row), the number
    in Helvetica Bold (font ``/MotCuaQR``) — added to the page as they are: a millisecond or two, where laying
    out an overlay with WeasyPrint and merging it took over 100 ms. ``None`` when the number has a letter the
    standard fonts lack (``QĐ``): then the WeasyPrint overlay draws it."""
    try:
        text = number_text.encode("cp1252")
    except UnicodeEncodeError:
        return None
    # one fixed mask pattern (any of the eight is a valid code; choosing the best one costs eight full evaluations,
    # three quarters of the time here)
    rows = [list(row) for row in segno.make(payload, error="m", micro=False, mask=4).matrix_iter(scale=1, border=2)]
    module = QR_SIZE_MM * MM / len(rows)
    left, top = QR_OFFSET_MM * MM, height - QR_OFFSET_MM * MM
    size = module * len(rows)
    ops = [f"q 1 g {left:.3f} {top - size:.3f} {size:.3f} {size:.3f} re f 0 g"]
    for r, row in enumerate(rows):
        y = top - (r + 1) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                ops.append(f"{left + start * module:.3f} {y:.3f} {(c - start) * module:.3f} {module:.3f} re")
            else:
                c += 1
    ops.append("f Q")
    font_size, label_top = 6.5, height - (QR_OFFSET_MM + QR_SIZE_MM + 1) * MM
    label_width = (QR_ZONE_MM[2] - 3) * MM
    text_width = 0.6 * font_size * len(text)  # Helvetica Bold's average advance: centred near enough
    escaped = text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    ops.append(f"q 1 g {1.5 * MM:.3f} {label_top - 9:.3f} {label_width:.3f} 9 re f Q")
    start_x = 1.5 * MM + max(0.0, (label_width - text_width) / 2)
    return ("\n".join(ops) + f"\nBT /MotCuaQR {font_size} Tf 0 g {start_x:.3f} {label_top - 7:.3f} Td (").encode(
        "ascii") + escaped + b") Tj ET"


def _draw_on(writer: PdfWriter, page: PageObject, drawing: bytes, left: float, bottom: float) -> None:
    """Append ``drawing`` (in the page box's coordinates) to ``page``, the page's own content isolated in q … Q."""
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica-Bold"),
                             NameObject("/Encoding"): NameObject("/WinAnsiEncoding")})
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else DictionaryObject()
    fonts = resources.get("/Font")
    fonts = fonts.get_object() if fonts is not None else DictionaryObject()
    fonts[NameObject("/MotCuaQR")] = writer._add_object(font)
    resources[NameObject("/Font")] = fonts
    page[NameObject("/Resources")] = resources
    before, after = DecodedStreamObject(), DecodedStreamObject()
    before.set_data(b"q\n")
    after.set_data(b"\nQ\nq 1 0 0 1 %.3f %.3f cm\n" % (left, bottom) + drawing + b"\nQ\n")
    existing = page.get("/Contents")
    parts = [] if existing is None else list(existing.get_object()) if isinstance(
        existing.get_object(), ArrayObject) else [existing]
    page[NameObject("/Contents")] = ArrayObject([writer._add_object(before), *parts, writer._add_object(after)])


def stamp_result(pdf: bytes, *, qr_payload: str, number_text: str) -> bytes:
    """``pdf`` with the QR code of ``qr_payload`` and ``number_text`` under it in the top-left corner of page 1
    (about 30 × 40 mm, see ``catalog.result_templates.QR_ZONE_MM``); the rest of the file is unchanged. Works on
    any PDF: a page turned by ``/Rotate`` is turned into its content first, so the code lands top-left as read."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    page = writer.pages[0]
    if page.rotation:
        page.transfer_rotation_to_content()
    box = page.cropbox
    width, height = float(box.width), float(box.height)
    drawing = _drawn_corner(height, qr_payload, number_text)
    if drawing is not None:
        _draw_on(writer, page, drawing, float(box.left), float(box.bottom))
    else:
        overlay = PdfReader(io.BytesIO(_overlay(width, height, qr_payload, number_text))).pages[0]
        page.merge_transformed_page(overlay, Transformation().translate(float(box.left), float(box.bottom)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signature_box(pdf: bytes) -> tuple[int, tuple[float, float, float, float]]:
    """Where the signatures go: (page index, (x1, y1, x2, y2) in PDF points). A rendered result names the zone
    (anchor ``signature-zone``, a named destination); any other PDF gets the bottom-right corner of its last page."""
    reader = PdfReader(io.BytesIO(pdf))
    width, height = SIGNATURE_ZONE_MM[0] * MM, SIGNATURE_ZONE_MM[1] * MM
    destination = reader.named_destinations.get(SIGNATURE_ANCHOR)
    index = reader.get_destination_page_number(destination) if destination is not None else None
    if destination is not None and index is not None:
        page = reader.pages[index]
        top = float(destination.top) if destination.top is not None else float(page.mediabox.top) / 2
        right = float(page.mediabox.right) - 15 * MM
        return index, (right - width, top - height, right, top)
    index = len(reader.pages) - 1
    box = reader.pages[index].mediabox
    right, bottom = float(box.right) - 15 * MM, float(box.bottom) + 20 * MM
    return index, (right - width, bottom, right, bottom + height)


# --- register numbers -------------------------------------------------------------------------------------------


def take_result_number(agency_id: int, book: str, year: int) -> int:
    """The next number of ``agency_id``'s register ``book`` in ``year``: 1, 2, 3… with no gap (a rolled-back
    transaction gives its number back). Call it inside the transaction that issues the result."""
    return take_next(ResultCounter, agency_id=agency_id, book=book, year=year)

