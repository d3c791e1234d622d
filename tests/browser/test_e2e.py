"""End to end in a real browser: an officer prints door labels, a resident scans one on a phone and answers
without JavaScript, and the answer shows in the street's company ranking and its Excel download.

The app is served by werkzeug on a free local port over a SQLite file database, with CSRF protection on,
so every form is the real form. Screenshots go to a temporary folder (SHOTS_DIR to keep them elsewhere).
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from survey_app import create_app
from survey_app.extensions import db

from ..conftest import make_config
from ..factories import PASSWORD, build_world
from ..printing.pdfqr import read_pages
from ..sheets import table
from .conftest import serve

pytestmark = pytest.mark.browser

COMPANY = "甲物业服务有限公司"


@pytest.fixture
def live(tmp_path):
    """The app on a SQLite file, with the test world, served on 127.0.0.1 at a free port."""
    app = create_app(make_config(f"sqlite:///{tmp_path / 'e2e.db'}", WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        world = build_world()
        from survey_app.models import Building
        ids = {
            "building": db.session.scalar(select(Building.id).where(Building.compound_id == world.k1.id)
                                          .order_by(Building.id)),
            "street": world.s1.id,
            "compound": world.k1.name,
        }
        db.session.remove()

    with serve(app) as base:
        yield base, ids


def test_labels_survey_on_phone_ranking_and_excel(live, browser, shots):
    import openpyxl
    from playwright.sync_api import expect

    base, ids = live

    # -- An officer of 文化路街道 logs in on a laptop and prints the labels of a building of 金色花园.
    staff = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    office = staff.new_page()
    office.goto(f"{base}/login")
    office.locator("input[name=username]").fill("street1")
    office.locator("input[name=password]").fill(PASSWORD)
    office.get_by_role("button", name="登录").click()
    office.wait_for_url(f"{base}/office/**")
    expect(office.locator("header .who")).to_have_text("street1")

    office.goto(f"{base}/office/buildings/{ids['building']}")
    expect(office.locator("h1")).to_contain_text(ids["compound"])
    office.get_by_role("link", name="打印二维码标签").click()  # one print path: the PDF of the building
    office.wait_for_url(f"{base}/office/print/building/{ids['building']}**")
    office.screenshot(path=str(shots / "print-page.png"), full_page=True)
    with office.expect_download() as download:
        office.get_by_role("button", name="发放二维码并下载 PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    (shots / "labels.pdf").write_bytes(pdf)
    pages = read_pages(pdf)
    urls = [u for found, _text in pages for u in found]
    # 40 households of one building, each label's QR readable, the building's heading on its first page.
    assert len(urls) == 40 and len(set(urls)) == 40
    assert ids["compound"] in pages[0][1] and "1号楼" in pages[0][1]
    url = urls[0]
    assert url.startswith(f"{base}/s/"), url
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 16

    # -- A resident scans it on a cheap phone with JavaScript off and answers every question.
    phone_ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                    has_touch=True, java_script_enabled=False, locale="zh-CN")
    phone = phone_ctx.new_page()
    resp = phone.goto(url)
    assert resp is not None and resp.ok, resp and resp.status
    assert token not in phone.url, "the code must leave the address bar after the redirect"
    assert phone.url == f"{base}/s/"
    expect(phone.locator(".intro .where")).to_contain_text(ids["compound"])
    expect(phone.locator(".intro")).to_contain_text(COMPANY)

    questions = phone.locator("fieldset.question:has(input[type=radio])")
    count = questions.count()
    assert count >= 5
    # Fits a 390 px screen without sideways scrolling, with answers big enough to tap.
    for box in (phone.locator("button.submit").bounding_box(), questions.first.bounding_box()):
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert phone.locator("label.opt").first.bounding_box()["height"] >= 44
    phone.screenshot(path=str(shots / "survey-phone.png"), full_page=True)
    for i in range(count):
        q = questions.nth(i)
        q.locator("label.opt:has(input[value='4'])").click()
        expect(q.locator("input[value='4']")).to_be_checked()
    phone.locator("textarea[name=comment]").fill("楼道灯坏了两周，希望尽快修。")
    phone.screenshot(path=str(shots / "survey-phone-answered.png"), full_page=True)
    phone.get_by_role("button", name="提交问卷").click()
    phone.wait_for_url(f"{base}/s/thanks")
    expect(phone.locator("h1")).to_contain_text("提交成功")
    expect(phone.locator("main")).to_contain_text(ids["compound"])
    phone.screenshot(path=str(shots / "thanks-phone.png"), full_page=True)
    phone_ctx.close()

    # -- Back at the office: the response is counted for 甲物业 (below the ranking threshold, so unranked).
    office.goto(f"{base}/office/ranking?area=street:{ids['street']}")
    expect(office.locator("h1")).to_contain_text("文化路街道")
    unranked = office.locator("h2:has-text('未达到排名条件') + .table-scroll table.data")
    row = unranked.locator("tbody tr", has_text=COMPANY)
    expect(row).to_have_count(1)
    # A header may carry its glossary mark ("有效样本?"): the words before it name the column.
    headers = [t.strip().rstrip("?").strip() for t in unranked.locator("thead th").all_inner_texts()]
    cells = [t.strip() for t in row.locator("td").all_inner_texts()]
    assert cells[headers.index("有效样本")] == "1", dict(zip(headers, cells))
    office.screenshot(path=str(shots / "ranking.png"), full_page=True)

    with office.expect_download() as info:
        office.get_by_role("link", name="下载 Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    # Playwright stores the file without its extension, which openpyxl refuses; read the bytes instead.
    wb = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    head, rows = table(wb.active, "名次")  # under the title block
    mine = [r for r in rows if r[head.index("物业服务企业")] == COMPANY]
    assert len(mine) == 1, rows
    assert mine[0][head.index("有效样本(份)")] == 1
    wb.close()
    staff.close()
