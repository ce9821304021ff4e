"""Responses for documents of a person (slips, receipts, files): inline, never cached by a browser or a proxy."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponse

PRIVATE = "private, no-store"


def private_pdf(pdf: bytes, filename: str) -> HttpResponse:
    """A generated PDF (a slip, a receipt) shown in the browser."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = PRIVATE
    return response


def private_file(field: Any, content_type: str, filename: str) -> FileResponse:
    """A stored file (a scan, a result, a data-warehouse document), streamed."""
    response = FileResponse(field.open("rb"), content_type=content_type, filename=filename)
    response["Cache-Control"] = PRIVATE
    return response
