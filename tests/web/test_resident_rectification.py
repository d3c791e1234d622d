"""The residents' side of rectification through the test client: the follow-up part of the survey, the
compound's items on the resident's pages, "has it been fixed?" asked at the next visit with the code."""
from datetime import timedelta

from flask import render_template_string
from sqlalchemy import func, select

from survey_app.domain.clock import now
from survey_app.domain.rectification import residents, workflow
from survey_app.models import RectificationConfirmation, RectificationItem, RectificationRequest, Response

from ..conftest import make_config
from ..factories import answer, form_for, households_of, issue


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _enter(client, token):
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/")


def _item(db, world):
    return db.session.scalar(select(RectificationItem))


def _submit(db, item, note="已更换楼道灯，联系电话13812345678"):
    for action in ("assign", "start") if item.status == "open" else ("start",):
        workflow.act(item, action)
    workflow.act(item, "submit", note=note)
    db.session.commit()


def _ask_by_form(client, world, h, text="楼道灯坏了一个月", key=None):
    _enter(client, issue(world.campaign, h))
    key = key or world.campaign.dimensions[0].key
    resp = client.post("/s/", data=form_for(world.campaign, "2", followup="1", followup_category=key,
                                            followup_text=text))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/thanks"), resp.data.decode()[:300]
    return key


def test_the_address_notice_comes_before_the_tick(client, world):
    _enter(client, issue(world.campaign, households_of(world.k1)[0]))
    html = client.get("/s/").data.decode()
    notice = html.index("物业企业将看到您家的地址（楼栋、单元、房号）和您写的问题描述")
    assert "需要物业跟进您的问题吗？" in html
    assert notice < html.index('name="followup"') < html.index('name="followup_text"')
    assert html.index('name="followup"') > html.index('name="comment"')  # the survey's last part
    assert 'value="other"' in html and "<script" not in html


def test_ticking_raises_a_request_item_and_the_form_shows_it_when_editing(client, world, db):
    h = households_of(world.k1)[0]
    key = _ask_by_form(client, world, h)
    item = _item(db, world)
    assert item.source == "request" and item.category_key == key and item.compound_id == world.k1.id
    request = db.session.scalar(select(RectificationRequest))
    assert request.household_id == h.id and request.text == "楼道灯坏了一个月"
    html = client.get("/s/").data.decode()
    assert 'name="followup" value="1" checked' in html and f'value="{key}" selected' in html
    assert "楼道灯坏了一个月</textarea>" in html
    # Edited with the box unticked: the request is withdrawn, the item stays.
    assert client.post("/s/", data=form_for(world.campaign, "2")).status_code == 302
    assert _count(db, RectificationRequest) == 0 and _count(db, RectificationItem) == 1
    assert 'name="followup" value="1" >' in client.get("/s/").data.decode()


def test_a_second_household_joins_the_same_item(app, client, world, db):
    a, b = households_of(world.k1)[:2]
    key = _ask_by_form(client, world, a)
    _ask_by_form(app.test_client(), world, b, "三楼也不亮", key)
    assert _count(db, RectificationItem) == 1 and _count(db, RectificationRequest) == 2


def test_a_tick_without_words_is_a_form_error_on_the_question(client, world, db):
    _enter(client, issue(world.campaign, households_of(world.k1)[0]))
    key = world.campaign.dimensions[0].key
    resp = client.post("/s/", data=form_for(world.campaign, "4", followup="1", followup_category=key,
                                            followup_text=" "))
    html = resp.data.decode()
    assert resp.status_code == 422 and 'href="#f-followup"' in html and 'id="e-followup"' in html
    assert "请简要描述需要物业跟进的问题" in html
    assert _count(db, Response) == 0 and _count(db, RectificationRequest) == 0


def test_bad_follow_up_input_is_refused_with_nothing_stored(client, world, db):
    _enter(client, issue(world.campaign, households_of(world.k1)[0]))
    key = world.campaign.dimensions[0].key
    for bad, message in (({"followup_category": "nonsense", "followup_text": "门禁坏了"}, "问题类别无效"),
                         ({"followup_category": key, "followup_text": "长" * 1001}, "不能超过 1000 个字"),
                         ({"followup_category": key, "followup_text": "门禁坏了", "followup": "on"}, "取值无效")):
        resp = client.post("/s/", data=form_for(world.campaign, "4", **{"followup": "1", **bad}))
        assert resp.status_code == 400 and message in resp.data.decode()
    assert _count(db, Response) == 0 and _count(db, RectificationItem) == 0 and _count(db, RectificationRequest) == 0


def test_a_respondent_is_asked_once_per_submission(client, world, db):
    requester, respondent = households_of(world.k1)[:2]
    key = _ask_by_form(client, world, requester)
    answer(world.campaign, respondent, 3)
    item = _item(db, world)
    token = issue(world.campaign, respondent)
    _enter(client, token)
    assert client.get("/s/").status_code == 200  # nothing submitted yet: the survey
    _submit(db, item)
    _enter(client, token)
    resp = client.get("/s/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/confirm")
    html = client.get("/s/confirm").data.decode()
    assert world.campaign.dimensions[0].name in html and "已更换楼道灯" in html
    assert "13812345678" not in html and "[手机号已隐藏]" in html  # what the company said, masked
    assert html.count(f'name="item-{item.id}"') == 3 and "以后再说" in html and "<script" not in html
    for word in ("已解决", "未解决", "不清楚"):
        assert word in html
    resp = client.post("/s/confirm", data={f"item-{item.id}": "not_fixed"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/thanks")
    row = db.session.scalar(select(RectificationConfirmation))
    assert (row.household_id, row.item_id, row.submission, row.answer) == (respondent.id, item.id, 1, "not_fixed")
    # A replayed post is not an error and stores nothing twice.
    assert client.post("/s/confirm", data={f"item-{item.id}": "not_fixed"}).status_code == 302
    assert _count(db, RectificationConfirmation) == 1
    _enter(client, token)
    assert client.get("/s/").status_code == 200  # not asked again for this submission
    # Sent back, then submitted again: asked again.
    workflow.act(item, "return", note="仍不亮")
    _submit(db, item, "已更换线路")
    _enter(client, token)
    assert client.get("/s/").headers["Location"].endswith("/s/confirm")
    assert "已更换线路" in client.get("/s/confirm").data.decode()
    client.post("/s/confirm", data={f"item-{item.id}": "fixed"})
    assert _count(db, RectificationConfirmation) == 2
    assert key  # the requester's category


def test_the_requester_is_asked_and_later_puts_it_off_until_the_next_visit(client, world, db):
    requester = households_of(world.k1)[0]
    _ask_by_form(client, world, requester)
    _submit(db, _item(db, world))
    assert client.get("/s/").headers["Location"].endswith("/s/confirm")
    assert client.get("/s/?later=1").status_code == 200  # "以后再说": the survey
    assert client.get("/s/").status_code == 200 and client.get("/s/thanks").status_code == 200
    assert _count(db, RectificationConfirmation) == 0
    _enter(client, issue(world.campaign, requester))  # the next visit with a code
    assert client.get("/s/").headers["Location"].endswith("/s/confirm")


def test_others_are_never_asked(app, world, db):
    requester = households_of(world.k1)[0]
    _ask_by_form(app.test_client(), world, requester)
    _submit(db, _item(db, world))
    for h in (households_of(world.k1)[5], households_of(world.k2)[0]):  # no response; another compound
        client = app.test_client()
        _enter(client, issue(world.campaign, h))
        assert client.get("/s/").status_code == 200
        assert client.get("/s/confirm").headers["Location"].endswith("/s/")
    stranger = households_of(world.k2)[1]
    answer(world.campaign, stranger, 2)
    client = app.test_client()
    _enter(client, issue(world.campaign, stranger))
    assert client.get("/s/").status_code == 200


def test_tampered_confirmations_are_refused_and_nothing_is_stored(app, client, world, db):
    requester = households_of(world.k1)[0]
    _ask_by_form(client, world, requester)
    other = households_of(world.k2)[0]
    _ask_by_form(app.test_client(), world, other, "门禁坏了")
    ours, theirs = db.session.scalars(select(RectificationItem).order_by(RectificationItem.compound_id)).all()
    assert ours.compound_id == world.k1.id
    _submit(db, ours)
    _submit(db, theirs)
    for form in ({f"item-{theirs.id}": "fixed"}, {f"item-{ours.id}": "maybe"}, {"item-x": "fixed"},
                 {f"item-{ours.id}": "fixed", "item-99999": "fixed"}, {f"item-{ours.id}": "fixed" * 1000}):
        resp = client.post("/s/confirm", data=form)
        assert resp.status_code == 400, form
        assert "整改事项" in resp.data.decode() or "回答无效" in resp.data.decode()
    assert _count(db, RectificationConfirmation) == 0
    resp = client.post("/s/confirm", data={})
    assert resp.status_code == 422 and "请至少回答一项" in resp.data.decode()
    assert app.test_client().post("/s/confirm", data={f"item-{ours.id}": "fixed"}).status_code == 404  # no code


def test_the_thanks_and_survey_pages_show_the_compounds_items_in_plain_words(app, client, world, db):
    h = households_of(world.k1)[0]
    _enter(client, issue(world.campaign, h))
    client.post("/s/", data=form_for(world.campaign, "4"))
    html = client.get("/s/thanks").data.decode()
    assert "本小区的整改事项" in html and "暂无" in html
    neighbour = households_of(world.k1)[1]
    _ask_by_form(app.test_client(), world, neighbour, "我家302漏水，电话13812345678")
    item = _item(db, world)
    workflow.act(item, "assign", deadline=now().date() + timedelta(days=20))
    db.session.commit()
    for page in ("/s/thanks", "/s/"):
        html = client.get(page).data.decode()
        assert "本小区的整改事项" in html and world.campaign.dimensions[0].name in html
        assert "已交办物业，等待整改" in html and item.deadline.isoformat() in html
        assert "漏水" not in html and "13812345678" not in html and neighbour.label not in html
    workflow.act(item, "close", note="不属于物业责任")
    db.session.commit()
    assert "未整改，已关闭" in client.get("/s/thanks").data.decode()


def test_after_the_end_a_respondent_keeps_the_code_to_follow_up(client, world, db):
    h = households_of(world.k1)[0]
    _ask_by_form(client, world, h)
    world.campaign.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    _submit(db, _item(db, world))
    token = issue(world.campaign, h)
    _enter(client, token)
    assert client.get("/s/").headers["Location"].endswith("/s/confirm")
    item = _item(db, world)
    assert client.post("/s/confirm", data={f"item-{item.id}": "fixed"}).headers["Location"].endswith("/s/thanks")
    html = client.get("/s/thanks").data.decode()
    assert "本次测评已结束" in html and "物业报告已整改，等待街道核实" in html and "查看或修改我的答案" not in html
    assert client.get("/s/").headers["Location"].endswith("/s/thanks")
    assert client.post("/s/", data=form_for(world.campaign, "5")).status_code == 410  # answers stay closed
    silent = households_of(world.k1)[3]
    assert client.get(f"/s/{issue(world.campaign, silent)}").status_code == 410  # never answered: closed


def test_csrf_is_required_on_the_confirmation_post(world, db, db_url):
    from survey_app import create_app

    app = create_app(make_config(db_url, WTF_CSRF_ENABLED=True))
    with app.app_context():
        h = households_of(world.k1)[0]
        answer(world.campaign, h, 3)
        c = app.test_client()
        c.get(f"/s/{issue(world.campaign, h)}")
        resp = c.post("/s/confirm", data={"item-1": "fixed"})
        assert resp.status_code == 400 and "页面已过期" in resp.data.decode()
        assert _count(db, RectificationConfirmation) == 0


def test_the_officers_macros_show_counts_the_warning_and_addresses(app, world, db):
    h = households_of(world.k1)[0]
    answer(world.campaign, h, 2)
    template = ('{% from "rectification/_confirmations.html" import confirmation_summary %}'
                '{% from "rectification/_requests.html" import requests_list %}'
                '{{ confirmation_summary(counts) }}{{ requests_list(requests) }}')
    with app.test_request_context("/"):
        calm = render_template_string(template, counts=residents.ConfirmationCounts(3, 2, 0, 5, False), requests=[])
        assert "多数回复的居民认为未解决" not in calm and "暂无" in calm
        rows = [residents.RequestRow(address="金色花园 1号楼1单元101室", text="<b>灯坏了</b>", at=now())]
        alarm = render_template_string(template, counts=residents.ConfirmationCounts(1, 3, 1, 5, True), requests=rows)
    assert "多数回复的居民认为未解决，请核实后再核验通过" in alarm and "confirmation-warning" in alarm
    assert "金色花园 1号楼1单元101室" in alarm and "&lt;b&gt;灯坏了" in alarm
