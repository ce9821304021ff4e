"""Responses for documents of a person (slips, receipts, files): inline, never cached by a browser or a proxy."""

from __future__ import annotations

from typing import IO

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from motcua.core.errors import MotCuaError
from motcua.core.middleware import back_address

PRIVATE = "private, no-store"


def private_pdf(pdf: bytes, filename: str) -> HttpResponse:
    """A generated PDF (a slip, a receipt) shown in the browser."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = PRIVATE
    return response


def private_file(handle: IO[bytes], content_type: str, filename: str) -> FileResponse:
    """A stored file (a scan, a result, a data-warehouse document), streamed from ``handle``: the buffer its
    integrity was checked in (``dossiers.integrity``), never a second read of the storage."""
    response = FileResponse(handle, content_type=content_type, filename=filename)
    response["Cache-Control"] = PRIVATE
    return response


def file_refused(request: HttpRequest, error: MotCuaError) -> HttpResponse:
    """The page shown instead of a stored file that cannot be served (altered or lost: ``file_altered``)."""
    response = render(request, "file_altered.html", {"message": error.text(), "code": error.code,
                                                     "back": back_address(request)},
                      status=error.status)
    response["Cache-Control"] = PRIVATE
    return response
