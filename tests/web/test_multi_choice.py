"""Multiple-choice questions through the test client: the editor, the Excel round trip, the resident's
checkboxes (tick, change, untick), ticks no form offers, and the preview."""
import io
import re

from sqlalchemy import func, select

from survey_app.domain.campaigns import spec as qs
from survey_app.models import Answer, AnswerChoice, Campaign, Response

from ..factories import form_for, households_of, issue

FORM = {"name": "2027年上半年测评", "scope": "city:", "opens_at": "2030-01-05T09:00", "closes_at": "2030-01-31T18:00",
        "min_responses": "8", "min_coverage": "15", "source": ""}


def _improve(campaign):
    return next(q for q in campaign.questions if q.kind == "multi")


def _new_draft(client):
    resp = client.post("/office/campaigns/new", data=FORM)
    assert resp.status_code == 302, resp.data.decode()[:2000]
    return int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _enter(client, token):
    assert client.get(f"/s/{token}").status_code == 302


def _fieldset(html: str, key: str) -> str:
    at = html.index(f'id="f-{key}"')
    return html[html.rindex("<fieldset", 0, at):html.index("</fieldset>", at)]


def _ticks(db, household):
    return db.session.scalars(
        select(AnswerChoice.option_key).join(Answer, Answer.id == AnswerChoice.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.household_id == household.id).order_by(AnswerChoice.id)).all()


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_editor_creates_and_edits_a_multi_question(client, world, login, db):
    login("city")
    cid = _new_draft(client)
    base = f"/office/campaigns/{cid}"
    page = client.get(f"{base}/questionnaire").data.decode()
    assert '<option value="multi" >多选</option>' in page
    resp = client.post(f"{base}/questions", data={"dimension": "repair", "kind": "multi", "text": "维修方面的问题",
                                                   "text_en": "Repair problems", "allow_na": "yes",
                                                   "options": "来得慢 | Slow to come\n修不好\n"})
    assert resp.status_code == 302
    db.session.expire_all()
    q = next(q for q in db.session.get(Campaign, cid).questions if q.key not in ("improve",) and q.kind == "multi")
    assert (q.text, q.allow_na) == ("维修方面的问题", False)  # ticking nothing is the "none of these" of a multi
    assert [(o.label, o.label_en) for o in q.options] == [("来得慢", "Slow to come"), ("修不好", "")]
    page = client.get(f"{base}/questionnaire").data.decode()
    assert "维修方面的问题" in page and "来得慢 / 修不好" in page and "多选" in page
    page = client.get(f"{base}/questions/{q.key}").data.decode()
    assert '<option value="multi" selected>多选</option>' in page and 'value="来得慢"' in page
    o1, o2 = q.options
    resp = client.post(f"{base}/questions/{q.key}", data={
        "action": "save", "text": "维修方面最突出的问题", "text_en": "", "kind": "multi", "dimension": "repair",
        f"opt_{o1.key}_label": "来得慢", f"opt_{o1.key}_label_en": "Slow to come",
        f"opt_{o2.key}_label": "修不好", f"opt_{o2.key}_delete": "yes", "new_0_label": "收费高", "new_0_label_en": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    q = next(x for x in db.session.get(Campaign, cid).questions if x.key == q.key)
    assert q.kind == "multi" and [o.label for o in q.options] == ["来得慢", "收费高"]
    resp = client.post(f"{base}/questions", data={"dimension": "repair", "kind": "multi", "text": "只有一个选项",
                                                   "options": "唯一"})
    assert resp.status_code == 422 and "多选题至少需要 2 个选项（现有 1 个）" in resp.data.decode()
    db.session.expire_all()
    assert "只有一个选项" not in [x.text for x in db.session.get(Campaign, cid).questions]


def test_the_workbook_downloaded_imports_back_with_its_multi_question(client, world, login, db):
    login("city")
    cid = _new_draft(client)
    before = qs.spec_of(db.session.get(Campaign, cid))
    data = client.get(f"/office/campaigns/{cid}/questionnaire.xlsx").data
    resp = client.post(f"/office/campaigns/{cid}/questionnaire.xlsx",
                       data={"file": (io.BytesIO(data), "q.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.expire_all()
    after = qs.spec_of(db.session.get(Campaign, cid))
    assert after == before and after.question("improve").kind == "multi" and len(after.question("improve").options) == 9


def test_a_resident_ticks_two_categories_then_changes_to_one(client, world, db):
    c = world.campaign
    q = _improve(c)
    h = households_of(world.k1)[0]
    _enter(client, issue(c, h))
    block = _fieldset(client.get("/s/").data.decode(), f"q{q.id}")
    assert "<legend>" in block and "最需要改进" in block and "可多选" in block
    assert len(re.findall(rf'<label class="opt"><input type="checkbox" name="q{q.id}" value="\w+" >', block)) == 9
    assert 'class="req"' not in block and "required" not in block
    resp = client.post("/s/", data={**form_for(c), f"q{q.id}": ["repair", "parking"]})
    assert resp.status_code == 302
    assert sorted(_ticks(db, h)) == ["parking", "repair"]
    block = _fieldset(client.get("/s/").data.decode(), f"q{q.id}")
    assert f'name="q{q.id}" value="repair" checked' in block and f'name="q{q.id}" value="parking" checked' in block
    assert f'name="q{q.id}" value="cleaning" >' in block
    assert client.post("/s/", data={**form_for(c), f"q{q.id}": ["parking"]}).status_code == 302
    db.session.expire_all()
    assert _ticks(db, h) == ["parking"] and _count(db, Response) == 1
    assert client.post("/s/", data=form_for(c)).status_code == 302  # nothing ticked is accepted
    db.session.expire_all()
    assert _ticks(db, h) == [] and _count(db, AnswerChoice) == 0
    assert db.session.scalar(select(func.count()).select_from(Answer).where(Answer.question_id == q.id)) == 1


def test_a_tick_no_form_offers_is_a_400_and_nothing_is_stored(client, world, db):
    c = world.campaign
    q = _improve(c)
    number = c.questions.index(q) + 1
    h = households_of(world.k1)[0]
    _enter(client, issue(c, h))
    resp = client.post("/s/", data={**form_for(c), f"q{q.id}": ["repair", "lift"]})
    assert resp.status_code == 400 and f"第 {number} 题的答案无效：只能勾选列出的选项。" in resp.data.decode()
    assert _count(db, Response) == 0 and _count(db, Answer) == 0 and _count(db, AnswerChoice) == 0
    assert client.post("/s/", data={**form_for(c), f"q{q.id}": ["repair"]}).status_code == 302
    resp = client.post("/s/", data={**form_for(c, "1"), f"q{q.id}": ["parking", "parking"]})
    assert resp.status_code == 400 and "同一选项只能勾选一次" in resp.data.decode()
    db.session.expire_all()
    assert _ticks(db, h) == ["repair"]  # the earlier answer stands, untouched
    assert db.session.scalar(select(Response.score)) == 75.0


def test_the_preview_shows_the_checkboxes_and_stores_nothing(client, world, login, db):
    login("city")
    c = world.campaign
    q = _improve(c)
    page = client.get(f"/office/campaigns/{c.id}/preview").data.decode()
    assert f'type="checkbox" name="q{q.id}" value="repair"' in page and "报修响应" in page
    en = client.get(f"/office/campaigns/{c.id}/preview?lang=en").data.decode()
    assert "Which parts of the property service most need improving?" in en and "Repair response" in en
    client.get("/office/?lang=zh_CN")
    resp = client.post(f"/office/campaigns/{c.id}/preview", data={**form_for(c), f"q{q.id}": ["repair", "other"]})
    assert resp.status_code == 200 and "填写有效" in resp.data.decode()
    assert f'name="q{q.id}" value="other" checked' in resp.data.decode()
    assert client.post(f"/office/campaigns/{c.id}/preview",
                       data={**form_for(c), f"q{q.id}": ["bogus"]}).status_code == 400
    assert _count(db, Response) == 0 and _count(db, AnswerChoice) == 0
