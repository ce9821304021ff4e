"""Every uploaded image becomes a PDF (the dossier's documents are PDFs, whatever the phone camera made).

img2pdf wraps JPEG data without re-encoding it (lossless, fast); PNGs with transparency, which PDF images
cannot carry as such, are flattened on white with Pillow first.
"""

from __future__ import annotations

import io
from typing import IO

import img2pdf
from PIL import Image

# A photo from a phone (say 3024×4032 pixels at no stated resolution) would become a page over a metre tall:
# each image is put on an A4 page instead, turned to landscape when it is wider than tall, shrunk to fit.
A4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
LAYOUT = img2pdf.get_layout_fun(A4, fit=img2pdf.FitMode.shrink, auto_orient=True)


def as_pdf(stream: IO[bytes], content_type: str) -> bytes:
    """The file as PDF bytes: a PDF unchanged, a JPEG or PNG on one page sized to the image."""
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    if content_type == "application/pdf":
        return data
    try:
        return bytes(img2pdf.convert(data, rotation=img2pdf.Rotation.ifvalid, layout_fun=LAYOUT))
    except (img2pdf.AlphaChannelError, ValueError, TypeError):
        with Image.open(io.BytesIO(data)) as image:
            flat = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            out = io.BytesIO()
            flat.save(out, format="JPEG", quality=90)
        return bytes(img2pdf.convert(out.getvalue(), layout_fun=LAYOUT))


def pdf_name(name: str) -> str:
    """``ảnh chụp.jpg`` → ``ảnh chụp.pdf``."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem or "document")[:200] + ".pdf"
