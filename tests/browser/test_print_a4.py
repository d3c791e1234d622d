"""The overview, ranking, benchmark and company pages print on A4 landscape with no column cut, and
their charts' text is at least 12 px as drawn (a chart scaled down would shrink its text).

Each page is laid out for print (print media at the printable width of A4 landscape, 277 mm): no
element passes the page's right edge and no table hides columns in a scrolled box; printed to PDF
with the page's own CSS page size, every page is A4 landscape and the last column's header and the
术语说明 are in the PDF's text. On screen, at a laptop's and a phone's width, every SVG text is at
least 12 px once its chart's scaling is applied."""
from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from survey_app import create_app
from survey_app.extensions import db

from ..conftest import make_config
from ..factories import answer, build_world, households_of
from .conftest import log_in, serve

pytestmark = pytest.mark.browser

A4_LANDSCAPE_PX = round(277 / 25.4 * 96)  # 297 mm less 10 mm margins each side, in CSS px
A4_POINTS = (841.9, 595.3)

# (who, path, last column headers that must be printed, besides every table's last header found on the page)
PAGES = [
    ("city", "/office/overview/", ("总体满意率",)),
    ("city", "/office/ranking", ("总体满意率",)),
    ("city", "/office/overview/benchmarks", ("原因",)),
    ("company1", "/company/", ("总体满意率", "状态")),
]

PRINT_LAYOUT = r"""
(limit) => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > limit + 1) out.push(el.tagName.toLowerCase() + '.' + el.className.baseVal
      + el.className + ' right=' + Math.round(r.right));
  }
  document.querySelectorAll('.table-scroll, .scroll').forEach(box => {
    if (box.scrollWidth > box.clientWidth + 1) out.push('scrolled box ' + box.scrollWidth + ' > ' + box.clientWidth);
  });
  if (document.documentElement.scrollWidth > limit + 1) out.push('page ' + document.documentElement.scrollWidth);
  return out.slice(0, 5);
}
"""

SVG_TEXT = r"""
() => Array.from(document.querySelectorAll('svg text')).filter(t => t.getBBox().width > 0).map(t => {
  const size = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
  return [t.textContent.trim().slice(0, 20), Math.round(size * 100) / 100];
})
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The test world with answers in every compound, on a SQLite file, served on a free port."""
    path = tmp_path_factory.mktemp("print") / "print.db"
    app = create_app(make_config(f"sqlite:///{path}", WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        w = build_world()
        for compound, n, value in ((w.k1, 12, 5), (w.k2, 10, 2), (w.k3, 8, 4), (w.k4, 8, 3)):
            for h in households_of(compound)[:n]:
                answer(w.campaign, h, value)
        db.session.remove()
    with serve(app) as base:
        yield base


@pytest.mark.parametrize("who, path, last_columns", PAGES)
def test_page_prints_on_a4_landscape_with_no_column_cut(site, browser, shots, who, path, last_columns):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        log_in(page, site, who, landing="/**")
        page.goto(site + path)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_LANDSCAPE_PX, "height": 800})
        assert page.evaluate(PRINT_LAYOUT, A4_LANDSCAPE_PX) == [], path
        assert page.locator("header.top").is_hidden() and page.locator("form.picker").count() in (0, 1)
        if page.locator("form.picker").count():
            assert page.locator("form.picker").is_hidden()
        # every table's last column: its header as the page has it (a cut column would lose it)
        lasts = page.eval_on_selector_all("table.data thead tr", "rows => rows.map(r => r.lastElementChild.innerText)")
        assert len(lasts) >= 1
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        (shots / f"print-{who}-{path.strip('/').replace('/', '-')}.pdf").write_bytes(pdf)
        doc = pdfium.PdfDocument(pdf)
        text = ""
        for i in range(len(doc)):
            w, h = doc[i].get_size()
            assert abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2, (i, w, h)  # landscape A4
            text += doc[i].get_textpage().get_text_range()
        flat = "".join(text.split())
        for header in list(last_columns) + ["".join(t.split()) for t in lasts]:
            assert header in flat, (path, header)
        assert "术语说明" in flat
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("who, path", [("city", "/office/overview/"), ("company1", "/company/")])
def test_chart_text_is_at_least_12px_as_drawn(site, browser, who, path, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        log_in(page, site, who, landing="/**")
        page.goto(site + path)
        sizes = page.evaluate(SVG_TEXT)
        assert sizes, "the page has charts with text"
        small = [s for s in sizes if s[1] < 12 - 0.01]
        assert not small, small
    finally:
        context.close()
