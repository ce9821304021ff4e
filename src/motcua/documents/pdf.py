"""Every uploaded image becomes a PDF (the dossier's documents are PDFs, whatever the phone camera made).

img2pdf wraps JPEG data without re-encoding it (lossless, fast) when the image is no larger than an A4 page
needs. A larger one (a 48-megapixel photo, a 600-dpi scan) is shrunk to :data:`PAGE_PIXELS` and re-encoded, as
is a PNG with transparency, which PDF images cannot carry as such (it is flattened on white). Images are opened
through ``validation.open_image``: nothing above ``MOTCUA_MAX_IMAGE_MEGAPIXELS`` is ever decoded here either.
"""

from __future__ import annotations

import io
from typing import IO

import img2pdf
from PIL import Image, ImageOps

from motcua.core.uploads import decoding, open_image

# A photo from a phone (say 3024×4032 pixels at no stated resolution) would become a page over a metre tall:
# each image is put on an A4 page instead, turned to landscape when it is wider than tall, shrunk to fit.
A4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
LAYOUT = img2pdf.get_layout_fun(A4, fit=img2pdf.FitMode.shrink, auto_orient=True)
# An A4 page at 300 dpi, what a good scan of a paper document has: more pixels are downscaled to this.
PAGE_PIXELS = (2480, 3508)
JPEG_QUALITY = 90


def as_pdf(stream: IO[bytes], content_type: str, name: str = "file") -> bytes:
    """The file as PDF bytes: a PDF unchanged, a JPEG or PNG on one A4 page."""
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    if content_type == "application/pdf":
        return data
    with open_image(io.BytesIO(data), content_type, name) as image:
        fits = _fits(image.size)
    with decoding():
        if fits:
            try:
                return bytes(img2pdf.convert(data, rotation=img2pdf.Rotation.ifvalid, layout_fun=LAYOUT))
            except (img2pdf.AlphaChannelError, ValueError, TypeError):
                pass  # transparency, or a kind of PNG img2pdf does not take: re-encoded below
        return bytes(img2pdf.convert(page_image(data, content_type, name), layout_fun=LAYOUT))


def _fits(size: tuple[int, int]) -> bool:
    return max(size) <= max(PAGE_PIXELS) and min(size) <= min(PAGE_PIXELS)


def page_image(data: bytes, content_type: str, name: str = "file") -> bytes:
    """The image as a JPEG of at most :data:`PAGE_PIXELS`, upright, transparency flattened on white.

    A JPEG is decoded at the smallest of 1/1…1/8 scale that still covers the page (libjpeg's DCT scaling), so a
    large photo never takes its full size in memory; a PNG is decoded once, within the pixel limit.
    """
    with open_image(io.BytesIO(data), content_type, name) as opened:
        image: Image.Image = opened
        box = PAGE_PIXELS if image.height >= image.width else (PAGE_PIXELS[1], PAGE_PIXELS[0])
        image.draft(None, box)  # JPEG only (a no-op for PNG)
        if image.mode == "1":
            image = image.convert("L")  # shrinking black-and-white text by nearest pixel would break it
        elif image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        image.thumbnail(box, Image.Resampling.LANCZOS)
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, "white")
            image.paste(rgba, mask=rgba.getchannel("A"))
        elif image.mode not in ("RGB", "L"):
            image = image.convert("RGB")  # CMYK, 16-bit grey…
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def pdf_name(name: str) -> str:
    """``ảnh chụp.jpg`` → ``ảnh chụp.pdf``."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem or "document")[:200] + ".pdf"
