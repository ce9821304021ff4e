"""Images are bounded by pixel count before they are decoded: a decompression bomb is refused clearly, cheaply."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image, ImageFile
from pypdf import PdfReader

from motcua.core.uploads import ImageTooLarge, UploadRefused, check_upload
from motcua.documents.pdf import PAGE_PIXELS, as_pdf
from motcua.portal.models import DraftFile
from tests.conftest import World
from tests.test_portal_wizard import DETAILS, citizen_user, start, step, upload

SRC = Path(__file__).resolve().parent.parent / "src"


def png_bomb(width: int, height: int, colour_type: int = 0, depth: int = 1) -> bytes:
    """A one-colour PNG of ``width`` × ``height`` pixels, compressed row by row (never whole in memory)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    channels = {0: 1, 2: 3, 6: 4}[colour_type]
    row = b"\x00" * (1 + (width * channels * depth + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_bytes(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


def test_a_bomb_png_is_refused_from_its_header_in_both_languages() -> None:
    bomb = png_bomb(30000, 30000)
    assert len(bomb) < 1024 * 1024  # 900 megapixels in 110 KB
    with pytest.raises(ImageTooLarge) as caught:
        check_upload(io.BytesIO(bomb), "bomb.png", location="c1")
    error = caught.value
    assert isinstance(error, UploadRefused) and error.status == 422
    assert error.code == "image_too_large" and error.location == "c1"
    english = error.messages()["en"]
    assert "30000 × 30000" in english and "900.0 megapixels" in english and "at most 50 megapixels" in english


def test_the_limit_is_a_setting(settings: Any) -> None:
    image = png_bomb(3000, 2000)
    assert check_upload(io.BytesIO(image), "scan.png").content_type == "image/png"
    settings.MOTCUA_MAX_IMAGE_MEGAPIXELS = 5
    with pytest.raises(ImageTooLarge):
        check_upload(io.BytesIO(image), "scan.png")
    with pytest.raises(ImageTooLarge):  # the PDF step does not decode it either
        as_pdf(io.BytesIO(image), "image/png", "scan.png")


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_a_truncated_image_is_refused_as_damaged(kind: str) -> None:
    data = png_bomb(2000, 2000, colour_type=2, depth=8) if kind == "png" else jpeg_bytes(2000, 1500)
    assert check_upload(io.BytesIO(data), f"ok.{kind}").size == len(data)
    with pytest.raises(UploadRefused) as caught:
        check_upload(io.BytesIO(data[: len(data) * 2 // 3]), f"cut.{kind}")
    assert caught.value.code == "file_damaged"


def test_a_huge_but_allowed_photo_becomes_an_a4_page_at_300_dpi() -> None:
    photo = jpeg_bytes(8064, 6048)  # a 48.8-megapixel phone photo
    pdf = PdfReader(io.BytesIO(as_pdf(io.BytesIO(photo), "image/jpeg", "photo.jpg")))
    page = pdf.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape A4
    (image,) = page.images
    assert max(image.image.size) <= max(PAGE_PIXELS) and min(image.image.size) <= min(PAGE_PIXELS)


def test_a_bomb_through_the_wizard_is_refused_and_nothing_is_kept(world: World, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_user())
    draft = start(client)
    assert client.post(step(draft, "details"), DETAILS).status_code == 302
    response = client.post(step(draft, "documents"), {"c1-file": upload("anh.png", png_bomb(30000, 30000)),
                                                      "continue": "1"})
    body = response.content.decode()
    assert response.status_code == 422 and "c1-error" in body
    assert "30000 × 30000 pixels" in body and "at most 50 megapixels" in body
    assert not DraftFile.objects.exists()
    assert not list((tmp_path / "media").rglob("*.*"))


# Run in a fresh interpreter: its peak resident memory is the check's, not the test run's.
MEASURE = """
import io, json, resource, sys
import django
django.setup()
from motcua.documents.pdf import as_pdf
from motcua.core.uploads import check_upload
data = open(sys.argv[1], "rb").read()
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before = peak()
try:
    checked = check_upload(io.BytesIO(data), "bomb.png")
    as_pdf(io.BytesIO(data), checked.content_type)  # what the wizard does with an accepted image
    code = "accepted"
except Exception as exc:
    code = getattr(exc, "code", type(exc).__name__)
print(json.dumps({"code": code, "before": before, "after": peak()}))
"""


@pytest.mark.parametrize(("width", "height", "colour_type", "depth"), [(30000, 30000, 0, 1), (12000, 12000, 6, 8)])
def test_checking_a_bomb_takes_little_memory(width: int, height: int, colour_type: int, depth: int,
                                             tmp_path: Path) -> None:
    """A 560 KB PNG of 12000 × 12000 RGBA is under Pillow's own bound (179 MP): it was accepted, and making it a PDF
    added 1.7 GB to the process. Now it is refused from its header, like the 900-megapixel one."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb(width, height, colour_type=colour_type, depth=depth))
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "DJANGO_SETTINGS_MODULE": "motcua.config.settings"}
    run = subprocess.run([sys.executable, "-c", MEASURE, str(bomb)], capture_output=True, text=True, env=env,
                         timeout=300, check=True)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["code"] == "image_too_large"
    assert result["after"] - result["before"] < 200 * 1024 * 1024


def test_a_truncated_image_is_refused_even_after_weasyprint_made_pillow_tolerant() -> None:
    """WeasyPrint (imported to render slips) sets ImageFile.LOAD_TRUNCATED_IMAGES for the whole process."""
    import weasyprint.images  # noqa: F401, PLC0415 - its import is what changes Pillow

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    data = jpeg_bytes(2000, 1500)
    with pytest.raises(UploadRefused) as caught:
        check_upload(io.BytesIO(data[: len(data) * 2 // 3]), "cut.jpg")
    assert caught.value.code == "file_damaged"
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # left as WeasyPrint wants it
