"""Read a label PDF back: render each page, decode its QR codes, extract its text."""
from __future__ import annotations

import re

import pypdfium2 as pdfium
import zxingcpp

URL = re.compile(r"^http://survey\.test/s/([A-Za-z0-9_-]{22})$")


def read_pages(data: bytes) -> list[tuple[list[str], str]]:
    """Each page's (decoded texts of its QR codes in reading order, its text)."""
    doc = pdfium.PdfDocument(data)
    pages = []
    try:
        for page in doc:
            img = page.render(scale=2).to_pil()
            codes = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
            # Reading order: top to bottom, then left to right.
            codes.sort(key=lambda c: (round(c.position.top_left.y / 50), c.position.top_left.x))
            pages.append(([c.text for c in codes], page.get_textpage().get_text_range()))
        return pages
    finally:
        doc.close()


def read_pdf(data: bytes) -> tuple[list[str], str, int]:
    """Return (decoded texts of every QR code in page order, all page text, page count)."""
    pages = read_pages(data)
    return [u for urls, _text in pages for u in urls], "\n".join(t for _urls, t in pages), len(pages)


def tokens_of(urls: list[str]) -> list[str]:
    out = []
    for u in urls:
        m = URL.match(u)
        assert m, f"not a survey URL: {u!r}"
        out.append(m.group(1))
    return out
