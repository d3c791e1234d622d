"""QR codes for survey URLs, as PNG and SVG (either with the household's address under the code)."""
from __future__ import annotations

import base64
import functools
import io
import qrcode
import qrcode.image.svg
from markupsafe import escape
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

MAX_VERSION = 5  # keeps the code small enough to print on a door label
# The label PDF needs no font file (reportlab's built-in CID font); a PNG caption does: the first of
# these that exists, else the caption is left out and the PNG is the bare code.
CJK_FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                  "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
                  "/System/Library/Fonts/PingFang.ttc",
                  "C:/Windows/Fonts/msyh.ttc")
CAPTION_SIZE, CAPTION_MIN = 22, 12  # px


def _qr(url: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    return qr


def version(url: str) -> int:
    return _qr(url).version


def png_bytes(url: str, box_size: int = 8) -> bytes:
    qr = _qr(url)
    qr.box_size = box_size
    buf = io.BytesIO()
    qr.make_image().save(buf, format="PNG")
    return buf.getvalue()


def svg_text(url: str) -> str:
    img = _qr(url).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return img.to_string(encoding="unicode")


SVG_FONTS = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"


def captioned_svg(url: str, lines: list[str]) -> str:
    """The survey URL's QR code as SVG with the lines (the household's address) as text under it.

    The text is drawn by whatever opens the file (no font on the server); a line too long for the
    code's width is squeezed to it (textLength).
    """
    lines = [t for t in lines if t]
    if not lines:
        return svg_text(url)
    img = _qr(url).make_image(image_factory=qrcode.image.svg.SvgPathImage)  # read as made, never parsed
    size = float(img.units(img.pixel_size, text=False))  # mm, quiet zone included
    path = img.path.get("d")
    font = size * 0.075
    gap = font * 1.35
    height = size + gap * len(lines) + font * 0.6
    avail = size - 2 * font
    texts = []
    for i, line in enumerate(lines):
        y = size + gap * (i + 1) - font * 0.1  # baselines: the first line's top lies below the square
        wide = sum(1 if ord(c) > 0x2E80 else 0.55 for c in line) * font
        squeeze = f' textLength="{avail:.2f}" lengthAdjust="spacingAndGlyphs"' if wide > avail else ""
        texts.append(f'<text x="{size / 2:.2f}" y="{y:.2f}" font-size="{font:.2f}" text-anchor="middle"'
                     f'{squeeze}>{escape(line)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{size:g}mm" height="{height:.2f}mm" '
            f'viewBox="0 0 {size:g} {height:.2f}">'
            f'<rect width="{size:g}" height="{height:.2f}" fill="#ffffff"/>'
            f'<path d="{escape(path)}" fill="#000000"/>'
            f'<g font-family="{escape(SVG_FONTS)}" fill="#000000">{"".join(texts)}</g></svg>')


def data_uri(data: bytes | str, mime: str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return f"data:{mime};base64," + base64.b64encode(raw).decode()


@functools.lru_cache(maxsize=1)
def _cjk_font_file() -> tuple[str, int] | None:
    """A font file (and face index: the Simplified Chinese face of a collection) that draws Chinese."""
    for path in CJK_FONT_FILES:
        faces = []
        for index in range(8):
            try:
                faces.append((index, ImageFont.truetype(path, 12, index=index).getname()[0]))
            except (OSError, ValueError):  # no such file or face, or not a font: as good as none
                break
        if faces:
            return path, next((i for i, name in faces if " SC" in name), faces[0][0])
    return None


def _caption_lines(draw, lines: list[str], width: int):
    """Each line in the largest size (down to CAPTION_MIN) that fits the width, wrapped when even that is too wide."""
    path, index = _cjk_font_file()
    out = []
    for line in lines:
        size = CAPTION_SIZE
        font = ImageFont.truetype(path, size, index=index)
        while size > CAPTION_MIN and draw.textlength(line, font=font) > width:
            size -= 1
            font = ImageFont.truetype(path, size, index=index)
        rest = line
        while rest:
            cut = len(rest)
            while cut > 1 and draw.textlength(rest[:cut], font=font) > width:
                cut -= 1
            out.append((rest[:cut], font, size))
            rest = rest[cut:]
    return out


def captioned_png(url: str, lines: list[str]) -> bytes:
    """The survey URL's QR code as PNG with the lines (the household's address) drawn under it.

    Without a Chinese font on the server the PNG is the bare code (the page still names the household).
    """
    code = png_bytes(url)
    lines = [t for t in lines if t]
    if not lines or _cjk_font_file() is None:
        return code
    img = Image.open(io.BytesIO(code)).convert("L")
    laid = _caption_lines(ImageDraw.Draw(img), lines, img.width - 2 * 12)
    gap = 6
    # The caption starts just below the code's quiet zone (4 modules), which stays whole for scanners.
    out = Image.new("L", (img.width, img.height + sum(size + gap for _t, _f, size in laid) + 10), 255)
    out.paste(img, (0, 0))
    draw = ImageDraw.Draw(out)
    y = img.height
    for text, font, size in laid:
        draw.text(((img.width - draw.textlength(text, font=font)) / 2, y), text, fill=0, font=font)
        y += size + gap
    buf = io.BytesIO()
    out.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
