"""The resident's survey through the test client: what a household sees, what is stored, what is refused."""
from datetime import timedelta

from sqlalchemy import func, select

from survey_app.domain.clock import now
from survey_app.domain.responses.codes import issue_codes
from survey_app.models import Answer, Response

from ..factories import form_for, households_of, issue


def _count(db, model=Response):
    return db.session.scalar(select(func.count()).select_from(model))


def _enter(client, token):
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/")
    return resp


def test_code_leaves_the_url_and_the_page_shows_the_compound_in_chinese(client, world):
    h = households_of(world.k1)[0]
    token = issue(world.campaign, h)
    resp = _enter(client, token)
    assert token not in resp.headers["Location"]
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/s/")
    html = page.data.decode()
    assert page.status_code == 200
    assert "金色花园" in html and "甲物业服务有限公司" in html and "非常满意" in html and "不适用" in html
    assert token not in html
    assert "<script" not in html  # works without JavaScript


def test_submit_stores_one_response_and_resubmission_updates_it(client, world, db):
    h = households_of(world.k1)[0]
    _enter(client, issue(world.campaign, h))
    resp = client.post("/s/", data=form_for(world.campaign, "5", comment="楼道很干净"))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/thanks")
    assert "提交成功" in client.get("/s/thanks").data.decode()
    r = db.session.scalar(select(Response))
    assert r.score == 100.0 and r.overall == 5 and r.comment == "楼道很干净" and r.company_id == world.c1.id
    n_questions = len(world.campaign.questions)
    assert _count(db, Answer) == n_questions

    page = client.get("/s/").data.decode()
    assert "您已于" in page and 'value="5" required checked' in page and "楼道很干净" in page
    client.post("/s/", data=form_for(world.campaign, "1"))
    db.session.expire_all()
    assert _count(db) == 1 and _count(db, Answer) == n_questions
    assert db.session.scalar(select(Response)).score == 0.0


def test_company_on_the_response_is_the_one_managing_when_answered(client, world, db):
    h = households_of(world.k1)[0]
    _enter(client, issue(world.campaign, h))
    client.post("/s/", data=form_for(world.campaign, "4"))
    world.k1.company = world.c2  # the compound changes hands afterwards
    db.session.commit()
    assert db.session.scalar(select(Response.company_id)) == world.c1.id


def test_not_applicable_is_accepted_only_where_allowed(client, world, db):
    h = households_of(world.k1)[0]
    _enter(client, issue(world.campaign, h))
    allow = next(q for q in world.campaign.questions if q.allow_na)
    deny = next(q for q in world.campaign.questions if not q.allow_na)
    resp = client.post("/s/", data=form_for(world.campaign, "4", **{f"q{deny.id}": "na"}))
    assert resp.status_code == 422 and "答案无效" in resp.data.decode() and _count(db) == 0
    resp = client.post("/s/", data=form_for(world.campaign, "4", **{f"q{allow.id}": "na"}))
    assert resp.status_code == 302
    assert db.session.scalar(select(Answer.value).where(Answer.question_id == allow.id)) is None


def test_missing_and_out_of_range_answers_are_refused_with_nothing_stored(client, world, db):
    h = households_of(world.k1)[0]
    _enter(client, issue(world.campaign, h))
    q1, q2 = world.campaign.questions[:2]
    data = form_for(world.campaign, "4")
    del data[f"q{q1.id}"]
    data[f"q{q2.id}"] = "6"
    resp = client.post("/s/", data=data)
    html = resp.data.decode()
    assert resp.status_code == 422
    assert "第 1 题未作答" in html and "第 2 题的答案无效" in html
    assert _count(db) == 0 and _count(db, Answer) == 0
    for bad in ("0", "-1", "4.5", "五", "'; DROP TABLE responses;--", "4" * 10000):
        data = form_for(world.campaign, "4", **{f"q{q1.id}": bad})
        assert client.post("/s/", data=data).status_code == 422
    assert _count(db) == 0


def test_hostile_and_oversized_comments(client, world, db):
    h = households_of(world.k1)[0]
    _enter(client, issue(world.campaign, h))
    too_long = client.post("/s/", data=form_for(world.campaign, "4", comment="长" * 501))
    assert too_long.status_code == 422 and "不能超过 500 字" in too_long.data.decode()
    nul = client.post("/s/", data=form_for(world.campaign, "4", comment="a\x00b"))
    assert nul.status_code == 422 and _count(db) == 0
    markup = '<script>alert(1)</script>=HYPERLINK("x")'
    assert client.post("/s/", data=form_for(world.campaign, "4", comment=markup)).status_code == 302
    assert db.session.scalar(select(Response.comment)) == markup  # stored as written
    page = client.get("/s/").data.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page  # escaped where it leaves


def test_unknown_malformed_and_revoked_codes_are_refused(client, world, db):
    for bad in ("x", "A" * 22, "%00%00", "../../etc/passwd", "a" * 5000):
        resp = client.get(f"/s/{bad}")
        assert resp.status_code == 404 and "二维码无效或已作废" in resp.data.decode()
    h = households_of(world.k1)[0]
    old = issue(world.campaign, h)
    _enter(client, old)
    issue_codes(world.campaign.id, [h.id])  # reissued: the old code stops working at once
    db.session.commit()
    assert client.get(f"/s/{old}").status_code == 404
    # A phone that was already inside with the old code is out too.
    resp = client.post("/s/", data=form_for(world.campaign, "4"))
    assert resp.status_code == 404 and _count(db) == 0


def test_survey_without_a_code_asks_to_scan(client, world):
    resp = client.get("/s/")
    assert resp.status_code == 404 and "请扫描" in resp.data.decode()
    assert client.post("/s/", data={}).status_code == 404


def test_closed_and_not_yet_open_campaigns_refuse_answers(client, world, db):
    h = households_of(world.k1)[0]
    token = issue(world.campaign, h)
    _enter(client, token)
    world.campaign.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    resp = client.post("/s/", data=form_for(world.campaign, "4"))
    assert resp.status_code == 410 and "已结束" in resp.data.decode() and _count(db) == 0
    assert client.get(f"/s/{token}").status_code == 410
    world.campaign.closes_at = now() + timedelta(days=3)
    world.campaign.opens_at = now() + timedelta(days=1)
    db.session.commit()
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 403 and "尚未开始" in resp.data.decode()


def test_replayed_submission_from_two_phones_keeps_one_response(app, world, db):
    h = households_of(world.k1)[0]
    token = issue(world.campaign, h)
    phones = [app.test_client(), app.test_client()]
    for p in phones:
        _enter(p, token)
    for i, p in enumerate(phones):
        assert p.post("/s/", data=form_for(world.campaign, str(3 + i))).status_code == 302
    db.session.expire_all()
    assert _count(db) == 1 and db.session.scalar(select(Response.overall)) == 4


def test_csrf_is_required_on_the_survey_post(world, db, db_url):
    from survey_app import create_app
    from ..conftest import make_config

    app = create_app(make_config(db_url, WTF_CSRF_ENABLED=True))
    with app.app_context():
        h = households_of(world.k1)[0]
        token = issue(world.campaign, h)
        c = app.test_client()
        c.get(f"/s/{token}")
        resp = c.post("/s/", data=form_for(world.campaign, "4"))
        assert resp.status_code == 400 and "页面已过期" in resp.data.decode()
        assert _count(db) == 0


def test_households_outside_the_campaign_scope_cannot_answer(client, world, db):
    import pytest

    from survey_app.domain.responses.survey import ParsedSurvey, SurveyClosed, save_response

    world.campaign.scope_level, world.campaign.scope_id = "street", world.s3.id
    db.session.commit()
    outside = households_of(world.k1)[0]  # 文化路街道
    token = issue(world.campaign, outside)
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 403 and "不在本次测评的范围内" in resp.data.decode()
    with pytest.raises(SurveyClosed):
        save_response(world.campaign, outside.id, ParsedSurvey(answers={q.id: 4 for q in world.campaign.questions}))
    db.session.rollback()
    assert _count(db) == 0
    inside = households_of(world.k4)[0]  # 龙山路街道, the campaign's street
    _enter(client, issue(world.campaign, inside))
    assert client.post("/s/", data=form_for(world.campaign, "4")).status_code == 302
    assert _count(db) == 1
