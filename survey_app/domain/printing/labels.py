"""A4 sheets of QR-code door labels as a PDF, written page by page so memory stays flat.

Printing issues the codes it prints: households are read in batches, each batch gets new
tokens made in memory (`selection.tokens_in_batches`), and once the whole file is drawn the codes
are stored, hashed, in one short write; the tokens exist in clear only in the PDF. The caller
commits once the whole file is written (a failed print changes nothing).

reportlab's canvas keeps every page in memory until `save()`, so pages are written here by a
small incremental PDF writer; reportlab supplies the Chinese font: the built-in CID font
STSong-Light (no font file is embedded; every PDF reader has it or a substitute), its metrics
and its text encoding. QR codes are vector rectangles drawn from qrcode's module matrix.
QR matrices are the expensive part; for large selections they are computed in a pool of
worker processes while this process reads the database, issues codes and draws.

Each building starts on a new page whose first row of cells is the building's heading (compound,
building, households, grid, campaign, print date); every page's bottom edge names the building and
says "第 n / N 页". Page counts are planned before drawing from the households per building.
"""
from __future__ import annotations

import copy
import math
import multiprocessing
import os
import zlib
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import qrcode
from flask_babel import gettext as _, lazy_gettext as _l
from qrcode.constants import ERROR_CORRECT_M
from reportlab.pdfbase import cidfonts
from reportlab.pdfbase.pdfdoc import PDFDocument

from ...database import begin_write
from ...models import Building
from ..clock import now
from ..responses import codes as tokens
from .qr import MAX_VERSION
from .selection import (BATCH, Selection, audit_print, building_counts, check_base_url, tokens_in_batches,
                        live_count, store_codes, suffixed)

FONT_NAME = "STSong-Light"
INSTRUCTION = "请用手机扫码，为小区物业服务打分（每户一份）"
A4 = (595.2756, 841.8898)  # points
TASK = 50  # survey URLs per task sent to a worker process
POOL_THRESHOLD = 1000  # below this many labels a process pool costs more than it saves


# --- QR matrices (run in worker processes) ---------------------------------------------------

def _encoder(url: str) -> qrcode.QRCode:
    q = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, border=0)
    q.add_data(url)
    q.make(fit=True)
    return q


def qr_path(url: str) -> tuple[int, bytes]:
    """Return (size in modules, PDF path of the dark modules as rectangles in module units).

    Horizontal runs of dark modules become one rectangle, and a run repeated in the rows
    below grows taller instead of starting a new rectangle; y points up as in PDF.
    """
    q = _encoder(url)
    if q.version > MAX_VERSION:
        raise ValueError(f"QR version {q.version} exceeds {MAX_VERSION}")
    modules = q.modules
    n = len(modules)
    out: list[str] = []
    open_runs: dict[tuple[int, int], int] = {}
    for r, row in enumerate(modules):
        runs = []
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                runs.append((start, x - start))
            else:
                x += 1
        current = set(runs)
        for key in [k for k in open_runs if k not in current]:
            top = open_runs.pop(key)
            out.append(f"{key[0]} {n - r} {key[1]} {r - top} re")
        for key in runs:
            open_runs.setdefault(key, r)
    for key, top in open_runs.items():
        out.append(f"{key[0]} 0 {key[1]} {n - top} re")
    return n, "\n".join(out).encode()


def qr_paths(urls: list[str]) -> list[tuple[int, bytes]]:
    return [qr_path(u) for u in urls]


class _Ready:
    """A completed stand-in for a Future, used when no pool is worth starting."""

    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


def default_workers(total: int) -> int:
    if total < POOL_THRESHOLD:
        return 0
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --- layout ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """A grid of labels filling an A4 page edge to edge (standard adhesive label sheets)."""

    cols: int
    rows: int
    description: str

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    @property
    def size(self) -> tuple[float, float]:
        return A4[0] / self.cols, A4[1] / self.rows


LAYOUTS = {
    # Descriptions for the print page (lazy: worker processes import this module outside any app).
    "3x7": Layout(3, 7, _l("每页 21 张（70×42.3 毫米，常用 A4 不干胶标签纸）")),
    "2x5": Layout(2, 5, _l("每页 10 张（105×59.4 毫米，二维码更大）")),
}
DEFAULT_LAYOUT = "3x7"


class _Font:
    """reportlab's STSong-Light CID font: PDF dictionary, metrics, text encoding."""

    def __init__(self):
        self.rl = cidfonts.UnicodeCIDFont(FONT_NAME)
        info = copy.deepcopy(cidfonts.CIDFontInfo[self.rl.face.name])  # reportlab mutates its copy
        info["Name"] = "/F1"
        info["Encoding"] = "/" + self.rl.encodingName
        self.dictionary = cidfonts.structToPDF(info).format(PDFDocument())

    def width(self, text: str, size: float) -> float:
        return self.rl.stringWidth(text, size)

    def fit(self, text: str, size: float, width: float, smallest: float) -> tuple[str, float]:
        """Shrink text to fit the width down to `smallest`, then cut it with an ellipsis."""
        w = self.width(text, size)
        if w <= width:
            return text, size
        size = max(smallest, size * width / w)
        while text and self.width(text, size) > width:
            text = text[:-2] + "…" if len(text) > 1 else ""
        return text, size

    def wrap(self, text: str, size: float, width: float, lines: int) -> list[str]:
        """Break text into at most `lines` lines of the width, the last cut with an ellipsis."""
        out: list[str] = []
        rest = text
        while rest and len(out) < lines:
            i = len(rest)
            while i > 1 and self.width(rest[:i], size) > width:
                i -= 1
            out.append(rest[:i])
            rest = rest[i:]
        if rest and out:
            out[-1] = self.fit(out[-1] + rest, size, width, size)[0]
        return out

    def show(self, text: str, size: float, x: float, y: float) -> str:
        return f"BT /F1 {size:.2f} Tf {x:.2f} {y:.2f} Td ({self.rl.formatForPdf(text)}) Tj ET"


class _Sheet:
    """Turns labels into page content streams for one layout."""

    def __init__(self, layout: Layout, font: _Font, campaign_name: str, instruction: str):
        self.layout, self.font = layout, font
        self.w, self.h = layout.size
        k = self.h / (A4[1] / 7)  # sizes below are designed for the 3×7 label and scale with it
        self.k = k
        self.pad = 8 * k
        band = 11 * k
        self.qr_box = self.h - 2 * self.pad - band
        self.text_x = self.pad + self.qr_box + 4 * k
        self.text_w = self.w - self.pad - self.text_x
        inst, size = font.fit(instruction, 7.5 * k, self.w - 2 * self.pad, 5)
        self.instruction = (inst, size)
        self.campaign = font.wrap(campaign_name, 6.5 * k, self.text_w, 2)

    def label(self, col: int, row: int, texts: tuple[str, str, str], qr: tuple[int, bytes]) -> bytes:
        """Content for the label in a cell: hairline border, QR code, address, campaign, instruction."""
        f, k, pad = self.font, self.k, self.pad
        x0 = col * self.w
        y0 = A4[1] - (row + 1) * self.h
        n, path = qr
        quiet = 3  # modules of white around the code, inside its box
        s = self.qr_box / (n + 2 * quiet)
        qx, qy = x0 + pad + quiet * s, y0 + pad + 11 * k + quiet * s
        parts = [f"q 0.82 G 0.3 w {x0 + 0.5:.2f} {y0 + 0.5:.2f} {self.w - 1:.2f} {self.h - 1:.2f} re S Q",
                 f"q {s:.4f} 0 0 {s:.4f} {qx:.2f} {qy:.2f} cm"]
        lines = []
        compound, building, room = texts
        tx, tw = x0 + self.text_x, self.text_w
        y = y0 + self.h - pad
        for text, size, smallest, gap in ((compound, 9.5 * k, 6, 10 * k), (building, 12 * k, 7, 15 * k),
                                          (room, 12 * k, 7, 15 * k)):
            text, size = f.fit(text, size, tw, smallest)
            y -= gap
            lines.append(f.show(text, size, tx, y))
        y -= 5 * k
        for text in self.campaign:
            y -= 8 * k
            lines.append(f.show(text, 6.5 * k, tx, y))
        inst, size = self.instruction
        lines.append(f.show(inst, size, x0 + pad, y0 + pad + 1.5 * k))
        return ("\n".join(parts) + "\n").encode() + path + b"\nf Q\n" + "\n".join(lines).encode() + b"\n"


    def heading(self, lines: tuple[str, str, str, str]) -> bytes:
        """The first row of a building's first page: a box with the building's name and its facts."""
        f, k, pad = self.font, self.k, self.pad
        w, y0 = A4[0], A4[1] - self.h
        title, facts, campaign, printed = lines
        out = [f"q 0.3 G 0.8 w {pad:.2f} {y0 + pad:.2f} {w - 2 * pad:.2f} {self.h - 2 * pad:.2f} re S Q"]
        x, width = 2 * pad, w - 4 * pad
        y = A4[1] - pad
        for text, size, gap in ((title, 20 * k, 28 * k), (facts, 11 * k, 20 * k), (campaign, 9.5 * k, 17 * k),
                                (printed, 9.5 * k, 16 * k)):
            text, size = f.fit(text, size, width, 6)
            y -= gap
            out.append(f.show(text, size, x, y))
        return "\n".join(out).encode() + b"\n"

    def footer(self, text: str) -> bytes:
        """A line at the page's bottom edge, below the last row's instructions (in the labels' margin)."""
        size = 5 * self.k
        text, size = self.font.fit(text, size, A4[0] / 2, 4)
        x = (A4[0] - self.font.width(text, size)) / 2
        return self.font.show(text, size, x, 2.5 * self.k).encode() + b"\n"


def label_texts(row: tuple) -> tuple[str, str, str]:
    """(compound, building, unit and room) as printed on a label."""
    _id, unit, room, building, compound = row[:5]
    return compound, building, " ".join(x for x in (suffixed(unit, "单元"), suffixed(room, "室")) if x)


# --- the PDF file ----------------------------------------------------------------------------

def _pdf_text(text: str) -> bytes:
    return b"<" + ("\ufeff" + text).encode("utf-16-be").hex().upper().encode() + b">"


class PdfWriter:
    """Write a PDF one page at a time: pages go to `out` as they come, the page tree at the end."""

    CATALOG, PAGES, FONT, INFO, RESOURCES = 1, 2, 3, 4, 5

    def __init__(self, out, title: str, font: _Font, created: datetime):
        self.out, self.pos = out, 0
        self.offsets: dict[int, int] = {}
        self.kids: list[int] = []
        self.next_id = 6
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._object(self.FONT, font.dictionary)
        self._object(self.RESOURCES, b"<< /Font << /F1 3 0 R >> /ProcSet [/PDF /Text] >>")
        stamp = created.strftime("D:%Y%m%d%H%M%S")
        self._object(self.INFO, b"<< /Title " + _pdf_text(title) + b" /Producer (survey_app labels_pdf)"
                     b" /CreationDate (" + stamp.encode() + b") >>")

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.pos += len(data)

    def _object(self, num: int, body: bytes) -> None:
        self.offsets[num] = self.pos
        self._write(b"%d 0 obj\n" % num + body + b"\nendobj\n")

    def page(self, content: bytes) -> None:
        data = zlib.compress(content, 6)
        stream_id, page_id = self.next_id, self.next_id + 1
        self.next_id += 2
        self._object(stream_id, b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data
                     + b"\nendstream")
        self._object(page_id, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] /Resources 5 0 R"
                     b" /Contents %d 0 R >>" % (A4[0], A4[1], stream_id))
        self.kids.append(page_id)

    def close(self) -> None:
        kids = " ".join(f"{k} 0 R" for k in self.kids).encode()
        self._object(self.PAGES, b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(self.kids))
        self._object(self.CATALOG, b"<< /Type /Catalog /Pages 2 0 R >>")
        xref = self.pos
        size = self.next_id
        entries = [b"0000000000 65535 f \n"] + [b"%010d 00000 n \n" % self.offsets[i] for i in range(1, size)]
        self._write(b"xref\n0 %d\n" % size + b"".join(entries))
        self._write(b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))


@dataclass
class PrintResult:
    """What a print wrote: labels (households), pages, buildings, re-issued codes, file size."""

    labels: int
    pages: int
    reissued: int
    bytes: int
    buildings: int = 0


@dataclass(frozen=True)
class Progress:
    """How far a print is: households drawn and buildings finished, of their totals."""

    households: int
    households_total: int
    buildings: int
    buildings_total: int


def building_pages(n: int, layout: str = DEFAULT_LAYOUT) -> int:
    """Pages of one building of n households: its heading takes the first row of its first page."""
    grid = LAYOUTS[layout]
    return math.ceil((grid.cols + n) / grid.per_page)


def plan_pages(counts, layout: str = DEFAULT_LAYOUT) -> int:
    """Pages of a print whose buildings hold these numbers of households (each starts a page)."""
    return sum(building_pages(n, layout) for n in counts if n)


class _Pages:
    """Places labels on pages: a new page and a heading per building, a footer on every page."""

    def __init__(self, writer: PdfWriter, sheet: _Sheet, grid: Layout, total_pages: int):
        self.writer, self.sheet, self.grid, self.total_pages = writer, sheet, grid, total_pages
        self.cells: list[bytes] = []
        self.slot = 0
        self.building: int | None = None
        self.name = ""
        self.buildings = 0  # buildings started

    def start(self, building_id: int, name: str, heading: tuple[str, str, str, str]) -> None:
        """Close the page of the previous building and open this building's first page."""
        if self.building is not None:
            self.flush()
        self.building, self.name = building_id, name
        self.buildings += 1
        self.cells.append(self.sheet.heading(heading))
        self.slot = self.grid.cols

    def add(self, texts: tuple[str, str, str], qr: tuple[int, bytes]) -> None:
        """Draw the next label of the current building."""
        if self.slot == self.grid.per_page:
            self.flush()
        cols = self.grid.cols
        self.cells.append(self.sheet.label(self.slot % cols, self.slot // cols, texts, qr))
        self.slot += 1

    def flush(self) -> None:
        """Write the page with its footer (nothing when it is empty)."""
        if not self.cells:
            return
        n = len(self.writer.kids) + 1
        footer = _("%(building)s · 第 %(n)s / %(total)s 页", building=self.name, n=n,
                   total=max(n, self.total_pages))
        self.writer.page(b"".join(self.cells) + self.sheet.footer(footer))
        self.cells.clear()
        self.slot = 0


def write_labels(out, campaign, sel: Selection, base_url: str, *, user_id: int | None = None,
                 layout: str = DEFAULT_LAYOUT, workers: int | None = None, instruction: str = INSTRUCTION,
                 progress: Callable[[Progress], None] | None = None, batch_size: int = BATCH) -> PrintResult:
    """Issue codes for the selection's households and write their A4 label sheets to `out`.

    Households that already hold a live code get a new one (the old one is revoked): callers
    ask for confirmation first (see `live_count`). The caller commits after the file is whole.
    Everything is drawn with tokens made in memory; then the write lock is taken and the codes are
    stored in one short write (a print must not hold SQLite's lock while it draws: residents
    answering meanwhile would wait on it), so the caller must not have written before.
    `workers`: processes computing QR matrices (None: one per core for large selections; 0: none).
    `progress` is told after each drawn chunk and each finished building.
    """
    check_base_url(base_url)
    grid = LAYOUTS[layout]
    counts = building_counts(sel)
    total = sum(counts.values())
    reissued = live_count(campaign.id, sel)
    reason = "reissued" if reissued else "issued"
    font = _Font()
    sheet = _Sheet(grid, font, campaign.name, instruction)
    printed = now()
    writer = PdfWriter(out, f"{campaign.name} {sel.title} 二维码标签", font, printed)
    pages = _Pages(writer, sheet, grid, plan_pages(counts.values(), layout))
    workers = default_workers(total) if workers is None else workers
    pool = (ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            if workers > 0 else None)
    pending: deque[tuple[list[tuple], Future | _Ready]] = deque()
    window = max(2, workers * 4)
    state = {"done": 0}

    def tell(finished: int) -> None:
        if progress:
            progress(Progress(state["done"], total, finished, len(counts)))

    def draw(rows: list[tuple], qrs: list[tuple[int, bytes]]) -> None:
        for (texts, building_id, grid_name), q in zip(rows, qrs):
            if building_id != pages.building:
                if pages.building is not None:
                    tell(pages.buildings)
                pages.start(building_id, f"{texts[0]} {texts[1]}",
                            _heading(texts, counts.get(building_id, 0), grid_name, campaign.name, printed))
            pages.add(texts, q)
            state["done"] += 1
        tell(pages.buildings - 1)

    later: list = []  # the codes handed out, stored once everything is drawn
    try:
        for batch in tokens_in_batches(sel, later, batch_size, extra=(Building.id, Building.grid)):
            for i in range(0, len(batch), TASK):
                chunk = batch[i:i + TASK]
                urls = [tokens.survey_url(base_url, token) for _row, token in chunk]
                rows = [(label_texts(r), r[8], r[9]) for r, _token in chunk]
                job = pool.submit(qr_paths, urls) if pool else _Ready(qr_paths(urls))
                pending.append((rows, job))
                while len(pending) > window:
                    rows_done, job_done = pending.popleft()
                    draw(rows_done, job_done.result())
        while pending:
            rows_done, job_done = pending.popleft()
            draw(rows_done, job_done.result())
    finally:
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)
    pages.flush()
    writer.close()
    tell(pages.buildings)
    labels = state["done"]
    begin_write()
    store_codes(campaign.id, later, user_id, reason)
    audit_print(user_id, sel, campaign.id, "打印二维码标签 PDF", labels, reissued)
    return PrintResult(labels=labels, pages=len(writer.kids), reissued=reissued, bytes=writer.pos,
                       buildings=pages.buildings)


def _heading(texts: tuple[str, str, str], n: int, grid_name: str | None, campaign_name: str,
             printed: datetime) -> tuple[str, str, str, str]:
    """The four lines of a building's heading."""
    compound, building, _room = texts
    grid_text = _("网格：%(grid)s", grid=grid_name) if grid_name else _("网格：未划分")
    return (f"{compound} {building}", _("共 %(n)s 户 · %(grid)s", n=n, grid=grid_text),
            _("测评活动：%(name)s", name=campaign_name), _("打印日期：%(date)s", date=f"{printed:%Y-%m-%d}"))
