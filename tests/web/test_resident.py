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


# -- Finding one's way through the survey (issue 12): parts, required marks, linked errors, thanks, language.

def _fieldset(html: str, key: str) -> str:
    """The question block with id f-<key>, as HTML."""
    at = html.index(f'id="f-{key}"')
    return html[html.rindex("<fieldset", 0, at):html.index("</fieldset>", at)]


def test_survey_is_in_numbered_parts_listed_at_the_top_with_a_counter_of_answers(client, world):
    _enter(client, issue(world.campaign, households_of(world.k1)[0]))
    html = client.get("/s/").data.decode()
    dims = world.campaign.dimensions
    total = len(dims)
    assert total > 1
    nav = html[html.index('<nav class="parts"'):html.index("</nav>", html.index('<nav class="parts"'))]
    for i, dim in enumerate(dims, start=1):
        assert f'<a href="#part-{i}">{dim.name}</a>' in nav  # the list of parts links to each part
        assert f'<section class="part" id="part-{i}"' in html
        assert f"第 {i} / {total} 部分" in html
    # Each question sits inside its own part.
    part2 = html[html.index('id="part-2"'):html.index('id="part-3"') if total > 2 else len(html)]
    assert all(f'id="f-q{q.id}"' in part2 for q in dims[1].questions)
    # The answered counter is drawn by CSS from the ticked answers; the page states the total of required ones.
    required = sum(1 for q in world.campaign.questions if q.kind not in ("text", "multi"))
    assert required == sum(1 for q in world.campaign.questions if q.scored)
    assert f'<span class="answered-count"></span> / {required}' in html
    assert "<script" not in html


def test_required_questions_are_marked_and_optional_text_is_not(client, world, db):
    from survey_app.models import Question
    dim = world.campaign.dimensions[0]
    note = Question(dimension_id=dim.id, key="note", text="其他想说的", kind="text", allow_na=False, position=99)
    db.session.add(note)
    db.session.commit()
    db.session.refresh(dim)
    _enter(client, issue(world.campaign, households_of(world.k1)[0]))
    html = client.get("/s/").data.decode()
    assert "为必答题" in html and '<p class="req-legend"><span class="req" aria-hidden="true">*</span>' in html
    for q in world.campaign.questions:
        block = _fieldset(html, f"q{q.id}")
        if q.id == note.id or q.kind == "multi":  # free text and ticking nothing are both answers
            assert 'class="req"' not in block and "question required" not in block
        else:
            assert '<span class="req" title="必答">*</span></legend>' in block and "question required" in block
    # What the marks say is what the check does: the text left empty is accepted, a scale left empty is not.
    data = form_for(world.campaign, "4")
    data[f"q{note.id}"] = ""
    assert client.post("/s/", data=data).status_code == 302


def test_refused_form_links_each_error_to_its_question_which_shows_it(client, world, db):
    _enter(client, issue(world.campaign, households_of(world.k1)[0]))
    q1, q2 = world.campaign.questions[:2]
    data = form_for(world.campaign, "4", comment="长" * 501)
    del data[f"q{q1.id}"]
    data[f"q{q2.id}"] = "6"
    resp = client.post("/s/", data=data)
    html = resp.data.decode()
    assert resp.status_code == 422
    alert = html[html.index('id="errors"'):html.index("</div>", html.index('id="errors"'))]
    assert f'<a href="#f-q{q1.id}">第 1 题未作答。</a>' in alert
    assert f'<a href="#f-q{q2.id}">第 2 题的答案无效，请在选项中选择。</a>' in alert
    assert '<a href="#f-comment">' in alert
    for key, text in ((f"q{q1.id}", "第 1 题未作答。"), (f"q{q2.id}", "第 2 题的答案无效"), ("comment", "不能超过 500 字")):
        block = _fieldset(html, key)
        assert "invalid" in block
        assert f'aria-describedby="e-{key}"' in block and f'<p class="error" id="e-{key}">' in block and text in block
    # The other questions show no error and keep their answers.
    assert "error" not in _fieldset(html, f"q{world.campaign.questions[2].id}")


def test_thanks_after_a_change_differs_from_after_a_first_answer_and_says_when(client, world, db):
    _enter(client, issue(world.campaign, households_of(world.k1)[0]))
    client.post("/s/", data=form_for(world.campaign, "5"))
    first = client.get("/s/thanks").data.decode()
    saved = db.session.scalar(select(Response.updated_at))
    assert "感谢您的参与" in first and "您的修改已保存" not in first
    assert f"{saved:%Y-%m-%d %H:%M}" in first and "金色花园" in first
    assert client.post("/s/", data=form_for(world.campaign, "3")).headers["Location"].endswith("/s/thanks")
    changed = client.get("/s/thanks").data.decode()
    db.session.expire_all()
    saved = db.session.scalar(select(Response.updated_at))
    assert "您的修改已保存" in changed and "感谢您的参与" not in changed
    assert f"{saved:%Y-%m-%d %H:%M}" in changed


def test_thanks_without_an_answer_goes_to_the_survey(client, world):
    _enter(client, issue(world.campaign, households_of(world.k1)[0]))
    resp = client.get("/s/thanks")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/")


def test_language_of_the_code_url_is_kept_through_the_redirect(client, world):
    token = issue(world.campaign, households_of(world.k1)[0])
    resp = client.get(f"/s/{token}?lang=en")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/?lang=en")
    assert token not in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).data.decode()
    assert '<html lang="en">' in page and "Very satisfied" in page and "非常满意" not in page
    # An unknown language is not carried into the address.
    resp = client.get(f"/s/{token}?lang=xx")
    assert resp.headers["Location"].endswith("/s/")
