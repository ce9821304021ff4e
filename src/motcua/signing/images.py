"""Specimen images for the demo: a handwriting-like signature and a round red seal, both marked "MẪU / SPECIMEN".

Real signature and seal images are scanned by the agency and set on the identity (``SigningIdentity.image``).
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"
BOLD = "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"
FALLBACK = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
RED = (200, 16, 30, 255)
BLUE = (20, 40, 150, 255)
SPECIMEN = "MẪU / SPECIMEN"


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ((BOLD, FONT, FALLBACK) if bold else (FONT, FALLBACK)):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def draw_signature(name: str, path: Path) -> Path:
    """A flourish drawn from ``name`` (the same name, the same strokes), as a transparent PNG."""
    width, height = 600, 240
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    seed = hashlib.sha256(name.encode()).digest()
    points = []
    for i in range(60):
        t = i / 59
        wobble = (seed[i % 32] / 255 - 0.5) * 60
        x = 40 + t * 500
        y = 120 + math.sin(t * math.pi * (3 + seed[0] % 3)) * (50 + seed[1] % 30) + wobble * (1 - t)
        points.append((x, y))
    draw.line(points, fill=BLUE, width=6, joint="curve")
    draw.line([(60, 190), (520, 170 - seed[2] % 30)], fill=BLUE, width=4)
    initials = "".join(part[0] for part in name.split()[-2:] if part)
    draw.text((70, 30), initials, font=_font(64), fill=BLUE)
    draw.text((width - 250, height - 34), SPECIMEN, font=_font(22, bold=True), fill=RED)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")
    return path


def draw_seal(agency_name: str, path: Path) -> Path:
    """A round red seal: the agency's name around the rim, a star in the middle, "MẪU / SPECIMEN" across."""
    size = 480
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    centre = size / 2
    draw.ellipse((8, 8, size - 8, size - 8), outline=RED, width=14)
    draw.ellipse((110, 110, size - 110, size - 110), outline=RED, width=6)
    # the name around the rim, one letter at a time, clockwise from the left
    text = agency_name.upper()
    font = _font(34, bold=True)
    radius = centre - 62
    span = min(300.0, 8.5 * len(text))
    start = -90 - span / 2
    for i, letter in enumerate(text):
        angle = math.radians(start + span * (i + 0.5) / max(len(text), 1))
        glyph = Image.new("RGBA", (48, 48), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((24, 24), letter, font=font, fill=RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.cos(angle) - 24
        y = centre + radius * math.sin(angle) - 24
        image.alpha_composite(glyph, (int(x), int(y)))
    # a five-pointed star
    star = []
    for k in range(10):
        r = 70 if k % 2 == 0 else 28
        a = math.radians(-90 + 36 * k)
        star.append((centre + r * math.cos(a), centre + r * math.sin(a)))
    draw.polygon(star, fill=RED)
    draw.text((centre, size - 150), SPECIMEN, font=_font(28, bold=True), fill=RED, anchor="mm")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")
    return path
