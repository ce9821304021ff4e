"""Checks on every uploaded file: its size, and its type as read from its content (never from its name).

Accepted: PDF (it must open as a PDF, not merely start like one), JPEG and PNG (they must decode as images).
The limit is ``settings.MOTCUA_MAX_UPLOAD_MB`` per file (20 MB by default).

A small file can hold a huge image (a 641 KB PNG of 30,000 × 30,000 pixels takes 2.7 GB once decoded), so the
size of an image is read from its header first, without decoding it, and refused (:class:`ImageTooLarge`) above
``settings.MOTCUA_MAX_IMAGE_MEGAPIXELS``; only then is it decoded in full, so that a truncated or damaged image is
refused too. A JPEG is decoded at 1/8 scale (libjpeg still reads every byte of it); a PNG needs at most
4 bytes a pixel, and a process decodes one image at a time (:func:`decoding`), so memory is bounded by one image
whatever the number of concurrent uploads. A PDF's page tree is read, up to :data:`MAX_PDF_PAGES` pages; pypdf
bounds each stream it inflates.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, JpegImagePlugin, PngImagePlugin
from pypdf import PdfReader

from motcua.core.errors import MotCuaError


class UploadRefused(MotCuaError):
    status = 422


class UploadTooLarge(MotCuaError):
    status = 413


class ImageTooLarge(UploadRefused):
    """An image with more pixels than ``MOTCUA_MAX_IMAGE_MEGAPIXELS`` (a decompression bomb, or a needless size)."""

    def __init__(self, name: str, width: int, height: int, location: str = "file") -> None:
        super().__init__(
            "image_too_large",
            _("%(name)s is an image of %(width)s × %(height)s pixels (%(megapixels)s megapixels); images may have "
              "at most %(limit)s megapixels. Scan or photograph it at a lower resolution (300 dpi is enough)."),
            {"name": name, "width": width, "height": height, "megapixels": round(width * height / 1e6, 1),
             "limit": max_megapixels()}, location,
        )


ALLOWED = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
# The image readers, used directly (not through Image.open): they read the header only, and our pixel limit is
# applied before Pillow's own (``Image.MAX_IMAGE_PIXELS``, set to ours when the app starts) could refuse it
# less clearly.
READERS: dict[str, type[ImageFile.ImageFile]] = {
    "image/jpeg": JpegImagePlugin.JpegImageFile, "image/png": PngImagePlugin.PngImageFile,
}
# A PDF's pages are counted by walking its page tree; more pages than this is no scan of a citizen's document.
MAX_PDF_PAGES = 2000
# PNG text chunks (tEXt, zTXt, iTXt) are metadata we never use: each may inflate to 64 KB, all together to 256 KB
# (Pillow's defaults are 1 MB and 64 MB).
PngImagePlugin.MAX_TEXT_CHUNK = 64 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 256 * 1024
_DECODING = threading.RLock()


@contextmanager
def decoding() -> Iterator[None]:
    """Decode one image at a time in this process, strictly: a truncated image is an error.

    WeasyPrint sets Pillow's process-wide ``ImageFile.LOAD_TRUNCATED_IMAGES`` when it is first imported (to render
    a slip), after which Pillow would silently complete a truncated upload; it is off while an upload is decoded.
    The lock also bounds memory: concurrent uploads in one process wait for each other instead of each holding a
    decoded image."""
    with _DECODING:
        tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


@dataclass
class CheckedFile:
    content_type: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(getattr(settings, "MOTCUA_MAX_UPLOAD_MB", 20)) * 1024 * 1024


def max_megapixels() -> int:
    return int(settings.MOTCUA_MAX_IMAGE_MEGAPIXELS)


def max_pixels() -> int:
    return max_megapixels() * 1_000_000


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
        _check_content(stream, content_type, name, location)
    except ImageTooLarge:
        raise
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


def _check_content(stream: IO[bytes], content_type: str, name: str, location: str) -> None:
    if content_type == "application/pdf":
        reader = PdfReader(stream, strict=False)
        pages = len(reader.pages)
        if not 1 <= pages <= MAX_PDF_PAGES:
            raise ValueError(f"{pages} pages")
        return
    with open_image(stream, content_type, name, location) as image:
        if content_type == "image/jpeg":
            # decode at 1/8 scale: every byte is still read (truncation shows), a 50 MP photo takes 2 MB, not 150
            image.draft(image.mode, (max(image.width // 8, 1), max(image.height // 8, 1)))
        with decoding():
            image.load()


def open_image(stream: IO[bytes], content_type: str, name: str, location: str = "file") -> Image.Image:
    """The image, opened (its header read, not its pixels): :class:`ImageTooLarge` above the pixel limit."""
    stream.seek(0)
    image = READERS[content_type](stream)
    width, height = image.size
    if width * height > max_pixels():  # (not image.close(): it would close the caller's stream)
        raise ImageTooLarge(name, width, height, location)
    return image
