"""A grid worker's phone (390×844) in headless Chromium: the visits list filtered to a compound, the assist form
opened from it, a building's and a household's page. On each: the page no wider than the screen, the
navigation at the top and on one line (the links scroll sideways inside it) or folded into a menu, no two
controls overlapping, no text under 12 px. An assisted answer sent from the filtered list lands back on that
list (same filter, at its households still to visit), which no longer offers the household.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from survey_app import create_app
from survey_app.extensions import db

from ..conftest import make_config
from ..factories import build_world, households_of
from .conftest import log_in, serve
from .test_pages_look import LOOK

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844

# Where the header's navigation sits: its links' rows (one top per row), or a menu that folds them.
NAV = """
() => {
  const nav = document.querySelector('header nav');
  if (!nav) return null;
  const links = Array.from(nav.querySelectorAll('a, button')).filter(el => el.getClientRects().length);
  const tops = new Set(links.map(el => Math.round(el.getBoundingClientRect().top)));
  const r = nav.getBoundingClientRect(), header = document.querySelector('header').getBoundingClientRect();
  return {rows: tops.size, links: links.length, menu: !!nav.closest('details') || !!nav.querySelector('details'),
          top: r.top + window.scrollY, bottom: r.bottom + window.scrollY, headerTop: header.top + window.scrollY,
          headerBottom: header.bottom + window.scrollY, overflowX: getComputedStyle(nav).overflowX};
}
"""


@pytest.fixture
def world(tmp_path):
    """The test world on a SQLite file, served on a free port; grid1 works both grids of 文化路街道."""
    app = create_app(make_config(f"sqlite:///{tmp_path / 'grid.db'}", WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        w = build_world()
        ids = {"k2": w.k2.id, "household": households_of(w.k2)[0].id,
               "building": households_of(w.k2)[0].building_id}
        db.session.remove()
    with serve(app) as base:
        yield base, ids


def _look(page, where: str, failures: list[str]) -> None:
    page.wait_for_load_state("load")
    found = page.evaluate(LOOK)
    failures += [f"{where}: text under 12 px: {s}" for s in found["small"][:5]]
    failures += [f"{where}: {o}" for o in found["overlaps"][:5]]
    # LOOK compares with innerWidth, which on a phone grows to the widest content: compare with the screen.
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    if wide > WIDTH:
        failures.append(f"{where}: page is {wide} px wide on a {WIDTH} px screen ({found['overflow']})")
    nav = page.evaluate(NAV)
    if nav is None:
        failures.append(f"{where}: no navigation")
    elif not nav["menu"] and (nav["rows"] > 1 or nav["top"] - nav["headerTop"] > 120):
        failures.append(f"{where}: navigation takes {nav['rows']} lines, from {nav['top']:.0f} px: {nav}")


def test_a_grid_workers_phone_pages_fit_and_an_assisted_answer_returns_to_the_list(world, browser, shots):
    base, ids = world
    ctx = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN", is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    failures: list[str] = []
    log_in(page, base, "grid1", landing="/**")

    page.goto(f"{base}/office/visits?compound={ids['k2']}")
    _look(page, "visits", failures)
    page.screenshot(path=str(shots / f"grid-visits-{WIDTH}.png"), full_page=True)
    pending = page.locator("table.pending tbody tr")
    before = pending.count()
    assert before == 40  # 碧水家园's households, none answered yet
    row = pending.first
    address = row.locator("td").nth(4).inner_text()
    row.get_by_role("link", name="协助填写").click()
    page.wait_for_url(f"{base}/office/assist/**")
    _look(page, "assist", failures)
    assert page.locator("p.flash.warning").count() == 1  # says it is an assisted answer
    questions = page.locator("fieldset.question:has(input[type=radio])")
    for i in range(questions.count()):
        questions.nth(i).locator("label.opt").first.click()
    page.screenshot(path=str(shots / f"grid-assist-{WIDTH}.png"), full_page=True)
    page.get_by_role("button", name="提交问卷").click()
    page.wait_for_url(f"{base}/office/visits**")
    back = urlsplit(page.url)
    assert parse_qs(back.query).get("compound") == [str(ids["k2"])] and back.fragment == "pending", page.url
    assert "已保存" in page.locator("p.flash.success").inner_text()
    assert page.locator("table.pending tbody tr").count() == before - 1
    assert address not in page.locator("table.pending tbody tr td:nth-child(5)").all_inner_texts()
    _look(page, "visits after an assisted answer", failures)

    for where, path in (("building", f"/office/buildings/{ids['building']}"),
                        ("household", f"/office/households/{ids['household']}")):
        resp = page.goto(base + path)
        assert resp is not None and resp.status == 200, (where, resp and resp.status)
        _look(page, where, failures)
        page.screenshot(path=str(shots / f"grid-{where}-{WIDTH}.png"), full_page=True)
    ctx.close()
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
