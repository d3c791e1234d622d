"""QR codes for survey URLs, as PNG and SVG."""
from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

MAX_VERSION = 5  # keeps the code small enough to print on a door label


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


def data_uri(data: bytes | str, mime: str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return f"data:{mime};base64," + base64.b64encode(raw).decode()
