"""The rectification pages: every move by every role (allowed and refused), the history they leave,
deadlines that stay missed, the list's filters, counts and pages at scale, handing many items over at
once (all or none), inspection entries with photos, and scope."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from survey_app.domain import rectification
from survey_app.domain.clock import now
from survey_app.domain.responses import codes as tokens
from survey_app.domain.responses.survey import ParsedSurvey, save_response
from survey_app.extensions import db
from survey_app.models import AuditEvent, RectificationEvent, RectificationItem, RectificationPhoto

from ..factories import answer, households_of, issue

# (role, item's compound) -> the moves that role may make there; anything else is refused.
OFFICER_MOVES = {"assign", "verify", "return", "close", "reopen", "note"}
COMPANY_MOVES = {"start", "submit", "note"}
# A state each move can be made from, and where it leads.
FROM = {"assign": "open", "start": "assigned", "submit": "in_progress", "verify": "submitted",
        "return": "submitted", "close": "assigned", "reopen": "closed", "note": "in_progress"}
TO = {"assign": "assigned", "start": "in_progress", "submit": "submitted", "verify": "verified",
      "return": "returned", "close": "closed", "reopen": "open", "note": "in_progress"}
ROLES = {  # user -> moves allowed on an item of 金色花园 (文化路街道, 甲物业)
    "company1": COMPANY_MOVES, "company2": set(), "street1": OFFICER_MOVES, "district": OFFICER_MOVES,
    "city": OFFICER_MOVES, "grid1": {"note"}, "street3": set(),
}
_n = iter(range(10_000))


def _item(world, db, status="open", compound=None, deadline_days=10, key=None):
    compound = compound or world.k1
    item = RectificationItem(
        campaign_id=world.campaign.id, compound_id=compound.id, company_id=compound.company_id,
        category_key=key or f"k{next(_n)}", category="环境卫生", evidence="环境卫生得分 41.0", source="low_score",
        status=status, created_at=now(), deadline=(now() + timedelta(days=deadline_days)).date(),
        submissions=1 if status in ("submitted", "verified") else 0)
    db.session.add(item)
    db.session.commit()
    return item


def _post(client, item, action, **form):
    return client.post(f"/rectification/{item.id}/act", data={"action": action, **form})


@pytest.mark.parametrize("user", list(ROLES))
def test_each_move_is_made_by_its_role_only(client, world, login, db, user):
    login(user)
    for action in FROM:
        item = _item(world, db, FROM[action])
        resp = _post(client, item, action, note="现场已清理完毕", deadline=(now() + timedelta(days=20)).date().isoformat())
        db.session.expire_all()
        stored = db.session.get(RectificationItem, item.id)
        events = db.session.scalar(select(func.count()).select_from(RectificationEvent)
                                   .where(RectificationEvent.item_id == item.id))
        if action in ROLES[user]:
            assert resp.status_code == 302, (user, action, resp.data.decode()[:300])
            assert stored.status == TO[action] and events == 1, (user, action)
        else:
            # outside the scope the item does not exist (404); inside it the move is refused (403)
            assert resp.status_code in (403, 404), (user, action, resp.status_code)
            assert stored.status == FROM[action] and events == 0, (user, action)


def test_a_move_from_the_wrong_state_or_without_words_is_refused(client, world, login, db):
    login("company1")
    item = _item(world, db, "open")
    resp = _post(client, item, "start")
    assert resp.status_code == 409 and "待派发" in resp.data.decode()
    item = _item(world, db, "in_progress")
    resp = _post(client, item, "submit", note="  ")
    assert resp.status_code == 400 and "整改情况" in resp.data.decode()
    assert _post(client, item, "fly").status_code == 400
    assert _post(client, item, "submit", note="x" * 2001).status_code == 400
    db.session.expire_all()
    assert db.session.get(RectificationItem, item.id).status == "in_progress"


def test_the_whole_cycle_keeps_its_history_and_audit(client, world, login, db, app):
    item = _item(world, db, "open")
    officer, company = app.test_client(), app.test_client()
    officer.post("/login", data={"username": "street1", "password": "pw-123456"})
    company.post("/login", data={"username": "company1", "password": "pw-123456"})
    deadline = (now() + timedelta(days=14)).date()
    assert _post(officer, item, "assign", company_id=world.c1.id, deadline=deadline.isoformat()).status_code == 302
    assert _post(company, item, "start", note="已安排保洁").status_code == 302
    assert _post(company, item, "submit", note="垃圾已清运").status_code == 302
    assert _post(officer, item, "return", note="楼道仍有堆物").status_code == 302
    assert _post(company, item, "submit", note="堆物已清").status_code == 302
    assert _post(officer, item, "verify").status_code == 302
    db.session.expire_all()
    item = db.session.get(RectificationItem, item.id)
    assert item.status == "verified" and item.deadline == deadline and item.submissions == 2
    moves = [(e.from_state, e.to_state, e.note) for e in item.events]
    assert moves == [("open", "assigned", ""), ("assigned", "in_progress", "已安排保洁"),
                     ("in_progress", "submitted", "垃圾已清运"), ("submitted", "returned", "楼道仍有堆物"),
                     ("returned", "submitted", "堆物已清"), ("submitted", "verified", "")]
    assert [e.user.username for e in item.events] == ["street1", "company1", "company1", "street1", "company1",
                                                      "street1"]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target == f"rectification:{item.id}")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["rectification.assign", "rectification.start", "rectification.submit",
                       "rectification.return", "rectification.submit", "rectification.verify"]
    page = officer.get(f"/rectification/{item.id}").data.decode()
    assert "楼道仍有堆物" in page and "已退回" in page and "垃圾已清运" in page
    # the company sees the same history; another company does not see the item at all
    assert "楼道仍有堆物" in company.get(f"/rectification/{item.id}").data.decode()


def test_closed_without_a_fix_is_never_shown_as_fixed(client, world, login, db):
    login("street1")
    item = _item(world, db, "assigned")
    assert _post(client, item, "close").status_code == 400  # a reason is needed
    assert _post(client, item, "close", note="小区已拆迁").status_code == 302
    db.session.expire_all()
    item = db.session.get(RectificationItem, item.id)
    assert item.status == "closed" and item.close_reason == "小区已拆迁" and item.verified_at is None
    page = client.get(f"/rectification/{item.id}").data.decode()
    assert "已关闭（未整改）" in page and "核验通过" not in page


def test_a_missed_deadline_stays_missed_after_a_late_fix(client, world, login, db, app):
    item = _item(world, db, "in_progress", deadline_days=-2)
    assert item.overdue_on(now().date())
    login("company1")
    assert _post(client, item, "submit", note="已修好").status_code == 302
    officer = app.test_client()
    officer.post("/login", data={"username": "street1", "password": "pw-123456"})
    assert _post(officer, item, "verify").status_code == 302
    db.session.expire_all()
    item = db.session.get(RectificationItem, item.id)
    assert item.status == "verified" and item.deadline_missed and not item.overdue_on(now().date())
    assert item.missed_on(now().date())
    assert "曾逾期" in officer.get(f"/rectification/{item.id}").data.decode()
    # an item submitted in time is not marked
    on_time = _item(world, db, "in_progress", deadline_days=3)
    assert _post(client, on_time, "submit", note="已修好").status_code == 302
    db.session.expire_all()
    assert not db.session.get(RectificationItem, on_time.id).deadline_missed


def test_the_daily_sweep_marks_items_that_nobody_touched(world, db):
    late, fine = _item(world, db, "assigned", deadline_days=-1), _item(world, db, "submitted", deadline_days=-1)
    assert rectification.mark_overdue() == 1
    db.session.commit()
    assert late.deadline_missed and not fine.deadline_missed
    assert rectification.mark_overdue() == 0


def test_the_list_filters_counts_and_pages(client, world, login, db):
    for n in range(55):
        _item(world, db, "open")
    _item(world, db, "assigned", deadline_days=-1)
    _item(world, db, "verified", compound=world.k2)
    _item(world, db, "open", compound=world.k4)  # another district
    login("street1")
    page = client.get("/rectification/").data.decode()
    assert "第 1 / 2 页，共 57 条" in page
    assert "待派发 55" in page and "逾期 1" in page and "御景华庭" not in page
    page2 = client.get("/rectification/?page=2").data.decode()
    assert "第 2 / 2 页" in page2
    only_late = client.get("/rectification/?overdue=1").data.decode()
    assert "共 1 条" not in only_late and only_late.count('class="overdue"') == 1
    by_company = client.get(f"/rectification/?company={world.c2.id}").data.decode()
    assert "碧水家园" in by_company and "金色花园</a>" not in by_company
    verified = client.get("/rectification/?status=verified").data.decode()
    assert "碧水家园" in verified and "金色花园</a>" not in verified
    searched = client.get("/rectification/?q=碧水").data.decode()
    assert "碧水家园" in searched and "金色花园</a>" not in searched
    assert client.get("/rectification/?community=999999").status_code == 404
    assert client.get("/rectification/?company=abc").status_code == 400
    assert client.get(f"/rectification/?area=district:{world.west.id}").status_code == 403


def test_a_company_lists_only_its_own_items(client, world, login, db):
    _item(world, db, "assigned")
    theirs = _item(world, db, "assigned", compound=world.k2)
    login("company1")
    page = client.get("/rectification/").data.decode()
    assert "金色花园" in page and "碧水家园" not in page
    assert client.get(f"/rectification/{theirs.id}").status_code == 404
    assert 'name="item"' not in page and "/rectification/assign" not in page  # no bulk hand-over for companies
    assert "/rectification/generate" not in page
    assert 'href="/rectification/"' in client.get("/company/").data.decode()  # in the company's menu


def test_many_items_are_handed_over_at_once_or_none_is(client, world, login, db):
    items = [_item(world, db, "open") for _ in range(3)]
    late = _item(world, db, "assigned")
    login("street1")
    deadline = (now() + timedelta(days=15)).date().isoformat()
    resp = client.post("/rectification/assign", data={"item": [i.id for i in items] + [late.id], "deadline": deadline})
    assert resp.status_code == 409
    db.session.expire_all()
    assert {db.session.get(RectificationItem, i.id).status for i in items} == {"open"}
    outside = _item(world, db, "open", compound=world.k4)
    assert client.post("/rectification/assign", data={"item": [items[0].id, outside.id]}).status_code == 400
    assert client.post("/rectification/assign", data={"item": ["x"]}).status_code == 400
    resp = client.post("/rectification/assign", data={"item": [i.id for i in items], "deadline": deadline})
    assert resp.status_code == 302
    db.session.expire_all()
    stored = [db.session.get(RectificationItem, i.id) for i in items]
    assert {(i.status, i.deadline.isoformat(), i.company_id) for i in stored} == {("assigned", deadline, world.c1.id)}
    assert client.post("/rectification/assign", data={"item": [items[0].id],
                                                        "deadline": "2020-01-01"}).status_code in (400, 409)


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def test_an_inspection_with_a_photo_joins_the_item_of_its_category(client, world, login, db):
    login("grid1")
    form = {"compound_id": world.k1.id, "category": "cleaning", "description": "3号楼下垃圾桶满溢",
            "photos": (io.BytesIO(_jpeg()), "bin.jpg")}
    resp = client.post(f"/rectification/new?campaign={world.campaign.id}", data=form,
                       content_type="multipart/form-data")
    assert resp.status_code == 302, resp.data.decode()[:300]
    item = db.session.scalar(select(RectificationItem).where(RectificationItem.source == "inspection"))
    assert item.category == "环境卫生" and item.status == "open" and len(item.photos) == 1
    again = {"compound_id": world.k1.id, "category": "cleaning", "description": "5号楼也有"}
    assert client.post(f"/rectification/new?campaign={world.campaign.id}", data=again).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(RectificationItem)) == 1
    db.session.expire_all()
    assert [e.note for e in db.session.get(RectificationItem, item.id).events][-1] == "巡查发现：5号楼也有"
    # refused: a compound outside the scope, an unknown category, no words, a fake photo
    bad = [{"compound_id": world.k4.id, "category": "cleaning", "description": "x"},
           {"compound_id": world.k1.id, "category": "nope", "description": "x"},
           {"compound_id": world.k1.id, "category": "cleaning", "description": " "},
           {"compound_id": world.k1.id, "category": "cleaning", "description": "x",
            "photos": (io.BytesIO(b"not a photo"), "fake.jpg")}]
    for data in bad:
        resp = client.post(f"/rectification/new?campaign={world.campaign.id}", data=data,
                           content_type="multipart/form-data")
        assert resp.status_code in (400, 404), data
    assert db.session.scalar(select(func.count()).select_from(RectificationPhoto)) == 1
    login("company1")
    assert client.get("/rectification/new").status_code == 403


def test_rules_raise_items_from_low_scores_with_masked_samples(client, world, login, db):
    for h in households_of(world.k1)[:6]:
        answer(world.campaign, h, 4, overrides={q.id: 1 for q in world.campaign.questions
                                                if q.dimension.key == "cleaning"},
               comment="垃圾没人管，打我电话 13912345678")
    login("street1")
    assert client.post(f"/rectification/generate?campaign={world.campaign.id}").status_code == 302
    item = db.session.scalar(select(RectificationItem))
    assert (item.source, item.category_key, item.respondents) == ("low_score", "cleaning", 6)
    assert item.score == 0.0 and item.rate == 0.0
    page = client.get(f"/rectification/{item.id}").data.decode()
    assert "13912345678" not in page and "[手机号已隐藏]" in page
    # old addresses lead to the new pages
    assert client.get("/office/rectification").status_code == 308


def test_the_sweep_command_records_missed_deadlines(world, db, runner):
    late = _item(world, db, "in_progress", deadline_days=-1)
    res = runner.invoke(args=["rectify", "sweep"])
    assert res.exit_code == 0 and "1" in res.output, res.output
    db.session.expire_all()
    assert db.session.get(RectificationItem, late.id).deadline_missed


def _answer_multi(world, household, ticked):
    code = tokens.find_code(issue(world.campaign, household))
    multi_q = next(q for q in world.campaign.questions if q.kind == "multi")
    save_response(world.campaign, household.id,
                  ParsedSurvey(answers={q.id: 4 for q in world.campaign.questions if q.scored},
                               multi={multi_q.id: ticked}), code_id=code.id)
    db.session.commit()


def test_a_category_named_by_enough_respondents_raises_one_item(client, world, login, db, app):
    app.config["RECTIFICATION_CATEGORY_SHARE"] = 0.30
    homes = households_of(world.k1)[:6]
    for n, h in enumerate(homes):  # 2 of 6 (33%) name parking, 1 of 6 (17%) names cleaning
        _answer_multi(world, h, ["parking"] if n < 2 else ["cleaning"] if n == 2 else [])
    for h in households_of(world.k2)[:4]:  # a compound of 4 respondents: too few to raise anything
        _answer_multi(world, h, ["parking"])
    login("street1")
    assert client.post(f"/rectification/generate?campaign={world.campaign.id}").status_code == 302
    items = db.session.scalars(select(RectificationItem)).all()
    assert [(i.compound_id, i.category_key, i.source, i.respondents, round(i.share, 2)) for i in items] == [
        (world.k1.id, "parking", "category", 6, 0.33)]
    assert "6 户作答中 2 户（33%）认为“停车管理”最需要改进" in items[0].evidence
    client.post(f"/rectification/generate?campaign={world.campaign.id}")  # idempotent
    assert db.session.scalar(select(func.count()).select_from(RectificationItem)) == 1


def test_the_list_links_its_workbook_with_its_filters(client, world, login, db):
    _item(world, db, "open")
    login("street1")
    page = client.get(f"/rectification/?company={world.c1.id}").data.decode()
    assert f"/rectification/export.xlsx?campaign={world.campaign.id}" in page and f"company={world.c1.id}" in page
    assert "/rectification/import" in page


def test_words_postgresql_cannot_store_are_refused_with_a_message(client, world, login, db):
    login("street1")
    item = _item(world, db, "assigned")
    resp = _post(client, item, "note", note="a\x00b")
    assert resp.status_code == 400 and "无法保存的字符" in resp.data.decode()
    resp = client.post(f"/rectification/new?campaign={world.campaign.id}",
                       data={"compound_id": world.k1.id, "category": "cleaning", "description": "a\x00b"})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(RectificationEvent)) == 0


def test_the_area_picker_narrows_the_list_and_its_workbook(client, world, login, db):
    """?street= and ?compound= (the shared picker) narrow the list, its counts and its download; an old
    ?area=street: link still narrows; another district is refused, a compound outside is not found."""
    _item(world, db, "open")  # 金色花园
    _item(world, db, "open", compound=world.k2)
    _item(world, db, "open", compound=world.k3)
    login("district")
    everything = client.get("/rectification/").data.decode()
    assert "金色花园" in everything and "翡翠名苑" in everything
    by_street = client.get(f"/rectification/?street={world.s2.id}").data.decode()
    assert "翡翠名苑" in by_street and "金色花园</a>" not in by_street and "待派发 1" in by_street
    assert client.get(f"/rectification/?area=street:{world.s2.id}").data.decode().count("<tr") \
        == by_street.count("<tr")
    by_compound = client.get(f"/rectification/?compound={world.k2.id}").data.decode()
    assert "碧水家园" in by_compound and "金色花园</a>" not in by_compound and "待派发 1" in by_compound
    assert f"compound={world.k2.id}" in by_compound.split("export.xlsx", 1)[1].split('"', 1)[0]
    book = load_workbook(io.BytesIO(client.get(f"/rectification/export.xlsx?compound={world.k2.id}").data))
    cells = " ".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None)
    assert "碧水家园" in cells and "金色花园" not in cells and "翡翠名苑" not in cells
    assert client.get(f"/rectification/?district={world.west.id}").status_code == 403
    assert client.get(f"/rectification/?compound={world.k4.id}").status_code == 404
    assert client.get(f"/rectification/export.xlsx?compound={world.k4.id}").status_code == 404
