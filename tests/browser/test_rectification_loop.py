"""The rectification loop in a real browser: low 环境卫生 scores at 金色花园 → the street raises an item and
hands it to 甲物业 → the company starts, and submits it with words and a photo → a resident who answered
is asked on their phone (no JavaScript) whether it is fixed and says 已解决 → the street sees the answer,
the photo and the history, and verifies.

Served by werkzeug on a SQLite file with CSRF on, as in test_e2e; screenshots go to the `shots` folder.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from survey_app import create_app
from survey_app.domain.clock import now
from survey_app.extensions import db
from survey_app.models import (RectificationConfirmation, RectificationEvent, RectificationItem,
                               RectificationPhoto)

from ..conftest import make_config
from ..factories import answer, build_world, households_of, issue
from .conftest import log_in, serve

pytestmark = pytest.mark.browser

COMPOUND, COMPANY, CATEGORY = "金色花园", "甲物业服务有限公司", "环境卫生"
FIX = "已清运积存垃圾，新增分类垃圾桶 4 个，楼道每日清扫两次。"
OFFICE_VIEW = {"width": 1366, "height": 768}


@pytest.fixture
def loop(tmp_path):
    """The test world; five households of 金色花园 answered with low 环境卫生 scores, and a sixth
    household's code (it answers in the browser and later confirms the fix)."""
    app = create_app(make_config(f"sqlite:///{tmp_path / 'loop.db'}", WTF_CSRF_ENABLED=True,
                                 PHOTO_FOLDER=str(tmp_path / "photos")))
    with app.app_context():
        db.create_all()
        world = build_world()
        cleaning = next(d for d in world.campaign.dimensions if d.name == CATEGORY)
        low = {q.id: 2 for q in cleaning.questions if q.scored}
        homes = households_of(world.k1)
        for h in homes[:5]:
            answer(world.campaign, h, 4, overrides=low, comment="垃圾桶经常满了没人清理")
        resident = homes[5]
        ids = {"resident": resident.id, "token": issue(world.campaign, resident), "campaign": world.campaign.id}
        db.session.remove()
    with serve(app) as base:
        yield app, base, ids


def _jpeg(path):
    """A real photo-like JPEG (a gradient with a shape), 1200 × 900."""
    from PIL import Image, ImageDraw

    img = Image.linear_gradient("L").resize((1200, 900)).convert("RGB")
    ImageDraw.Draw(img).rectangle((300, 250, 900, 650), fill=(40, 140, 60))
    img.save(path, "JPEG", quality=85)
    return path


def _move(page, action: str):
    """The form of one move on the item page, opened first if it is folded away (as a user would)."""
    move = page.locator(f".action-{action}")
    summary = move.locator(":scope > summary")
    if summary.count() and move.get_attribute("open") is None:
        summary.click()
    return move


def _no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


def test_low_score_item_fixed_with_a_photo_confirmed_and_verified(loop, browser, shots, tmp_path):
    from playwright.sync_api import expect

    app, base, ids = loop

    # -- 1. The sixth household answers on a phone, JavaScript off: 环境卫生 low, the rest 满意.
    phone_ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                    has_touch=True, java_script_enabled=False, locale="zh-CN")
    phone = phone_ctx.new_page()
    phone.goto(f"{base}/s/{ids['token']}")
    expect(phone.locator(".intro .where")).to_contain_text(COMPOUND)
    parts = phone.locator("section.part")
    for i in range(parts.count()):
        part = parts.nth(i)
        value = "2" if CATEGORY in part.locator("h2").inner_text() else "4"
        questions = part.locator("fieldset.question:has(input[type=radio][value='4'])")
        for j in range(questions.count()):
            questions.nth(j).locator(f"label.opt:has(input[value='{value}'])").click()
    phone.locator("textarea[name=comment]").fill("楼下垃圾桶天天满溢，夏天味道很大。")
    phone.get_by_role("button", name="提交问卷").click()
    phone.wait_for_url(f"{base}/s/thanks")
    expect(phone.locator("h1")).to_contain_text("提交成功")
    phone_ctx.close()

    # -- 2. street1 raises the items the rules call for, finds 环境卫生 of 金色花园 and hands it over.
    staff = browser.new_context(viewport=OFFICE_VIEW, locale="zh-CN")
    office = staff.new_page()
    log_in(office, base, "street1")
    office.locator("header nav").get_by_role("link", name="整改清单").click()
    office.wait_for_url(f"{base}/rectification/**")
    expect(office.locator("h1")).to_contain_text("整改清单")
    expect(office.locator("table.rect-list tbody")).to_contain_text("没有符合条件的整改事项")
    office.screenshot(path=str(shots / "loop-01-list-empty.png"), full_page=True)

    office.get_by_role("button", name="按规则生成整改事项").click()
    expect(office.locator(".flash.success")).to_contain_text("新生成整改事项 1 条")
    row = office.locator("table.rect-list tbody tr", has_text=COMPOUND)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(CATEGORY)
    expect(row).to_contain_text(COMPANY)
    expect(row).to_contain_text("维度得分偏低")
    expect(row).to_contain_text("待派发")
    expect(row.locator("input[type=checkbox][name=item]")).to_have_count(1)  # can be handed over in bulk
    expect(office.locator("fieldset.bulk")).to_be_visible()
    _no_sideways_scroll(office, OFFICE_VIEW["width"])
    office.screenshot(path=str(shots / "loop-02-list-generated.png"), full_page=True)

    row.get_by_role("link", name=CATEGORY).click()
    office.wait_for_url(f"{base}/rectification/*")
    item_url = office.url
    expect(office.locator("h1")).to_have_text(f"{COMPOUND} · {CATEGORY}")
    expect(office.locator(".status-line .state")).to_have_text("待派发")
    expect(office.locator("main")).to_contain_text("环境卫生得分")
    expect(office.locator("main")).to_contain_text("6 户作答")
    expect(office.locator("ul.comments")).to_contain_text("垃圾桶")
    assign = _move(office, "assign")
    expect(assign.locator("select[name=company_id] option:checked")).to_have_text(COMPANY)
    deadline = (now() + timedelta(days=14)).date().isoformat()
    assign.locator("input[name=deadline]").fill(deadline)
    assign.locator("textarea[name=note]").fill("请两周内完成，并上传整改后照片。")
    _no_sideways_scroll(office, OFFICE_VIEW["width"])
    office.screenshot(path=str(shots / "loop-03-item-open.png"), full_page=True)
    assign.get_by_role("button", name="交办物业").click()
    expect(office.locator(".flash.success")).to_contain_text("已交办物业")
    expect(office.locator(".status-line .state")).to_have_text("已派发")
    expect(office.locator("dl.facts")).to_contain_text(deadline)
    expect(office.locator(".action-assign")).to_have_count(0)

    # -- 3. company1 finds the item on its page, starts, and submits it with words and a photo.
    firm_ctx = browser.new_context(viewport=OFFICE_VIEW, locale="zh-CN")
    firm = firm_ctx.new_page()
    log_in(firm, base, "company1", landing="/company/**")
    mine = firm.locator("table.data tbody tr", has_text=CATEGORY)
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("已派发")
    expect(mine).to_contain_text(deadline)
    mine.get_by_role("link", name=COMPOUND).click()
    firm.wait_for_url(item_url)
    expect(firm.locator(".status-line .state")).to_have_text("已派发")
    expect(firm.locator(".action-verify")).to_have_count(0)  # the company never verifies its own work
    _move(firm, "start").get_by_role("button", name="开始整改").click()
    expect(firm.locator(".status-line .state")).to_have_text("整改中")
    submit = _move(firm, "submit")
    submit.locator("textarea[name=note]").fill(FIX)
    submit.locator("input[type=file][name=photos]").set_input_files(str(_jpeg(tmp_path / "after.jpg")))
    _no_sideways_scroll(firm, OFFICE_VIEW["width"])
    firm.screenshot(path=str(shots / "loop-04-company-submit.png"), full_page=True)
    submit.get_by_role("button", name="提交核验").click()
    expect(firm.locator(".flash.success")).to_contain_text("已提交核验")
    expect(firm.locator(".status-line .state")).to_have_text("待核验")
    expect(firm.locator("ul.photo-gallery img")).to_have_count(1)
    expect(firm.locator("section.confirmations")).to_contain_text("本次提交后尚无居民回复")
    firm.screenshot(path=str(shots / "loop-05-company-submitted.png"), full_page=True)
    firm_ctx.close()

    # -- 4. The resident opens their code again (phone, JavaScript off) and is asked first.
    phone_ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                    has_touch=True, java_script_enabled=False, locale="zh-CN")
    phone = phone_ctx.new_page()
    phone.goto(f"{base}/s/{ids['token']}")
    phone.wait_for_url(f"{base}/s/confirm")
    expect(phone.locator("h1")).to_have_text("这些问题解决了吗？")
    expect(phone.locator(".intro .where")).to_contain_text(COMPOUND)
    question = phone.locator("fieldset.question")
    expect(question).to_have_count(1)
    expect(question.locator("legend")).to_contain_text(CATEGORY)
    expect(question).to_contain_text(FIX)
    for word in ("已解决", "未解决", "不清楚"):
        expect(question.locator("label.opt", has_text=word)).to_have_count(1)
    assert question.locator("label.opt").first.bounding_box()["height"] >= 44  # big enough to tap
    _no_sideways_scroll(phone, 390)
    phone.screenshot(path=str(shots / "loop-06-resident-confirm.png"), full_page=True)
    question.locator("label.opt", has_text="已解决").click()
    expect(question.locator("input[value=fixed]")).to_be_checked()
    phone.get_by_role("button", name="提交", exact=True).click()
    phone.wait_for_url(f"{base}/s/thanks")
    expect(phone.locator("h1")).to_contain_text("提交成功")
    expect(phone.locator("main")).to_contain_text(CATEGORY)
    _no_sideways_scroll(phone, 390)
    phone.screenshot(path=str(shots / "loop-07-resident-thanks.png"), full_page=True)
    # Asked once per submission: the code now opens on the saved survey.
    phone.goto(f"{base}/s/{ids['token']}")
    phone.wait_for_url(f"{base}/s/")
    expect(phone.locator("h1")).to_contain_text("物业服务满意度调查")
    phone_ctx.close()

    # -- 5. street1 reloads the item: residents' answer, the photo, the history; verifies.
    office.goto(item_url)
    expect(office.locator(".status-line .state")).to_have_text("待核验")
    counts = office.locator("section.confirmations table")
    headers = [t.strip() for t in counts.locator("thead th").all_inner_texts()]
    cells = [t.strip() for t in counts.locator("tbody td").all_inner_texts()]
    assert dict(zip(headers, cells)) == {"已解决": "1", "未解决": "0", "不清楚": "0", "合计": "1"}
    expect(office.locator(".confirmation-warning")).to_have_count(0)
    img = office.locator("ul.photo-gallery img")
    expect(img).to_have_count(1)
    img.scroll_into_view_if_needed()  # the thumbnails load lazily
    office.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") == 1200
    history = office.locator("table.history tbody tr")
    expect(history).to_have_count(4)
    changes = [t.strip() for t in history.locator("td:nth-child(3)").all_inner_texts()]
    assert changes == ["待派发", "待派发 → 已派发", "已派发 → 整改中", "整改中 → 待核验"], changes
    expect(history.nth(3)).to_contain_text(FIX)
    expect(history.nth(3)).to_contain_text("附照片 1 张")
    expect(history.nth(3).locator("td:nth-child(2)")).to_have_text("company1")
    _no_sideways_scroll(office, OFFICE_VIEW["width"])
    office.screenshot(path=str(shots / "loop-08-officer-review.png"), full_page=True)

    verify = _move(office, "verify")
    verify.locator("textarea[name=note]").fill("现场查看属实，居民反馈已解决。")
    verify.get_by_role("button", name="核验通过").click()
    expect(office.locator(".flash.success")).to_contain_text("已核验通过")
    expect(office.locator(".status-line .state")).to_have_text("已整改（核验通过）")
    expect(office.locator("table.history tbody tr")).to_have_count(5)
    expect(office.locator(".action-verify")).to_have_count(0)
    office.screenshot(path=str(shots / "loop-09-verified.png"), full_page=True)

    office.locator(".crumbs").get_by_role("link", name="整改清单").click()
    row = office.locator("table.rect-list tbody tr", has_text=COMPOUND)
    expect(row).to_have_count(1)
    expect(row.locator("td").last).to_have_text("已整改（核验通过）")
    expect(row.locator("input[type=checkbox]")).to_have_count(0)
    office.screenshot(path=str(shots / "loop-10-list-verified.png"), full_page=True)
    staff.close()

    # -- 6. What is stored.
    with app.app_context():
        item = db.session.scalar(select(RectificationItem))
        assert db.session.query(RectificationItem).count() == 1
        assert (item.category, item.compound.name, item.company.name) == (CATEGORY, COMPOUND, COMPANY)
        assert item.source == "low_score" and item.status == "verified" and item.submissions == 1
        assert item.deadline.isoformat() == deadline and not item.deadline_missed
        assert item.respondents == 6 and item.score < 60
        events = db.session.scalars(select(RectificationEvent).where(RectificationEvent.item_id == item.id)
                                    .order_by(RectificationEvent.id)).all()
        assert [(e.from_state, e.to_state, e.user.username if e.user else None) for e in events] == [
            (None, "open", "street1"), ("open", "assigned", "street1"), ("assigned", "in_progress", "company1"),
            ("in_progress", "submitted", "company1"), ("submitted", "verified", "street1")]
        assert events[3].note == FIX
        [photo] = db.session.scalars(select(RectificationPhoto)).all()
        assert photo.item_id == item.id and photo.event_id == events[3].id
        assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == (1200, 900)
        [confirmation] = db.session.scalars(select(RectificationConfirmation)).all()
        assert (confirmation.item_id, confirmation.household_id, confirmation.submission, confirmation.answer) \
            == (item.id, ids["resident"], 1, "fixed")
        db.session.remove()
