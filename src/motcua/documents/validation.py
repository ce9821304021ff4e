"""Checks on every uploaded file: its size, and its type as read from its content (never from its name).

Accepted: PDF (it must open as a PDF, not merely start like one), JPEG and PNG (they must decode as images).
The limit is ``settings.MOTCUA_MAX_UPLOAD_MB`` per file (20 MB by default).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError


class UploadRefused(MotCuaError):
    status = 422


class UploadTooLarge(MotCuaError):
    status = 413


ALLOWED = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


@dataclass
class CheckedFile:
    content_type: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(getattr(settings, "MOTCUA_MAX_UPLOAD_MB", 20)) * 1024 * 1024


def sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def check_upload(stream: IO[bytes], name: str, size: int | None = None, location: str = "file") -> CheckedFile:
    """Refuse a file that is too large, empty, of another type, or damaged; return its type, size and hash."""
    limit = max_bytes()
    stream.seek(0, io.SEEK_END)
    actual = stream.tell()
    stream.seek(0)
    size = actual if size is None else max(size, actual)
    params = {"name": name, "limit": limit // (1024 * 1024), "size": round(size / (1024 * 1024), 1)}
    if size > limit:
        raise UploadTooLarge(
            "file_too_large", _("%(name)s is %(size)s MB; files may be at most %(limit)s MB."), params, location
        )
    if size == 0:
        raise UploadRefused("file_empty", _("%(name)s is empty."), params, location)
    content_type = sniff(stream.read(16))
    stream.seek(0)
    if content_type is None:
        raise UploadRefused(
            "file_type_not_allowed",
            _("%(name)s is not a PDF, JPEG or PNG file (checked by its content, not its name)."),
            params, location,
        )
    try:
        _check_content(stream, content_type)
    except Exception as exc:  # noqa: BLE001 - any parser failure means the file is unusable
        raise UploadRefused(
            "file_damaged",
            _("%(name)s looks like a %(kind)s file but cannot be opened: it is damaged or not what it claims."),
            {**params, "kind": ALLOWED[content_type]}, location,
        ) from exc
    finally:
        stream.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    stream.seek(0)
    return CheckedFile(content_type, size, digest.hexdigest())


def _check_content(stream: IO[bytes], content_type: str) -> None:
    if content_type == "application/pdf":
        from pypdf import PdfReader

        reader = PdfReader(stream, strict=False)
        if len(reader.pages) < 1:
            raise ValueError("no pages")
    else:
        from PIL import Image

        with Image.open(stream) as image:
            image.verify()
