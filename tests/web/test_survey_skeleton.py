"""The blank survey is rendered once per questionnaire version and language and filled in for each
household (web/skeleton.py): each household sees only its own address, compound, company and form
token, escaped, and the token it gets is one its browser's POST is accepted with."""
import re

from sqlalchemy import func, select

from survey_app import create_app
from survey_app.models import Response

from ..conftest import make_config
from ..factories import answer, households_of, issue


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_each_household_gets_its_own_values_in_the_kept_page(world, db, db_url):
    answer(world.campaign, households_of(world.k2)[0])  # a response elsewhere: the questionnaire is frozen
    first, second = households_of(world.k1)[0], households_of(world.k4)[0]
    second.room = '<b>5&"02</b>'  # a roster can hold anything: it is shown as text
    db.session.commit()
    mine = issue(world.campaign, first)
    codes = [(first, mine), (second, issue(world.campaign, second)), (first, mine)]  # the last: another phone
    labels = (first.label, world.k4.name, world.k4.company.name)
    app = create_app(make_config(db_url, WTF_CSRF_ENABLED=True))  # its requests each have their own context
    browsers = []
    for _home, code in codes:
        c = app.test_client()
        assert c.get(f"/s/{code}").status_code == 302
        browsers.append((c, c.get("/s/").data.decode()))
    (c1, one), (c2, two), (_c3, again) = browsers
    first_label, k4_name, k4_company = labels

    assert "金色花园" in one and "甲物业服务有限公司" in one and first_label in one
    assert k4_name in two and k4_company in two and "甲物业服务有限公司" not in two
    assert "&lt;b&gt;5&amp;&#34;02&lt;/b&gt;" in two
    assert "<b>5" not in two and "金色花园" not in two and first_label not in two
    assert "\x00" not in one + two + again
    assert len({_token(one), _token(two), _token(again)}) == 3  # each browser its own token
    # Apart from the household's values and the token, the pages are the same page.
    assert again.replace(_token(again), "T") == one.replace(_token(one), "T")

    form = {f"q{q.id}": "4" for q in world.campaign.questions if q.scored}
    assert c1.post("/s/", data={**form, "csrf_token": _token(two)}).status_code == 400  # not its token
    assert c2.post("/s/", data={**form, "csrf_token": _token(two)}).status_code == 302
    db.session.rollback()  # a new transaction sees what the other app stored
    assert db.session.scalar(select(func.count()).select_from(Response)) == 2
    with app.app_context():
        from survey_app.extensions import db as _db
        _db.session.remove()
        _db.engine.dispose()


def test_english_and_a_renamed_campaign_are_pages_of_their_own(client, world, db):
    answer(world.campaign, households_of(world.k2)[0])
    assert client.get(f"/s/{issue(world.campaign, households_of(world.k1)[0])}").status_code == 302
    chinese = client.get("/s/").data.decode()
    english = client.get("/s/?lang=en").data.decode()
    assert "提交问卷" in chinese and "Submit" in english and "提交问卷" not in english
    world.campaign.name = "2026 年度第二轮测评"
    db.session.commit()
    assert "2026 年度第二轮测评" in client.get("/s/?lang=zh_CN").data.decode()


def test_the_survey_cookie_is_sent_again_only_when_the_session_changes(app, client, world, db):
    answer(world.campaign, households_of(world.k2)[0])
    neighbour = app.test_client()  # a neighbour opened the survey first: its blank page is kept
    neighbours_code = issue(world.campaign, households_of(world.k1)[1])
    assert neighbour.get(f"/s/{neighbours_code}", follow_redirects=True).status_code == 200
    entered = client.get(f"/s/{issue(world.campaign, households_of(world.k1)[0])}")
    assert any(h.startswith("session=") for h in entered.headers.getlist("Set-Cookie"))
    first = client.get("/s/")  # the scan noted when the survey was opened: the session is as it was
    again = client.get("/s/")
    assert first.status_code == again.status_code == 200
    for page in (first, again):
        assert not any(h.startswith("session=") for h in page.headers.getlist("Set-Cookie"))
    form = {f"q{q.id}": "4" for q in world.campaign.questions if q.scored}
    assert client.post("/s/", data=form).status_code == 302  # the session's timings still hold
    assert client.get("/s/thanks").status_code == 200
