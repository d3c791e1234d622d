"""The resident's survey stays a short path: the SQL statements of a survey page and of a submission
are counted (an engine event listener), so a lazy load coming back (a template reading
`household.building.compound.company`, the questionnaire read per question) fails here.

Also: the questionnaire kept per process follows a wording fix made after it froze, and is never
kept while it may still change.
"""
from sqlalchemy import event

from survey_app.domain.campaigns import spec as qs
from survey_app.domain.responses import questionnaire

from ..factories import answer, form_for, households_of, issue

TRANSACTION = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


def _statements(db, request) -> tuple[object, list[str]]:
    """Run `request` on a fresh session (as each request in production has) and list its SQL."""
    seen: list[str] = []

    def on(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(TRANSACTION):
            seen.append(" ".join(statement.split()))

    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", on)
    try:
        resp = request()
    finally:
        event.remove(db.engine, "before_cursor_execute", on)
    return resp, seen


def _reads(statements: list[str]) -> list[str]:
    return [s for s in statements if s.upper().startswith("SELECT") and s.upper() != "SELECT 1"]


def _enter(client, world, household):
    answer(world.campaign, households_of(world.k2)[0])  # a response elsewhere: the questionnaire is frozen
    assert client.get(f"/s/{issue(world.campaign, household)}").status_code == 302


def test_survey_page_is_one_query_once_the_questionnaire_is_kept(client, world, db):
    _enter(client, world, households_of(world.k1)[0])
    assert client.get("/s/").status_code == 200  # the first page reads and keeps the questionnaire
    page, statements = _statements(db, lambda: client.get("/s/"))
    assert page.status_code == 200 and "金色花园" in page.data.decode() and "甲物业服务有限公司" in page.data.decode()
    assert len(_reads(statements)) == 1, statements  # the code's visit: household, compound, company, campaign...
    assert len(statements) == 1, statements


def test_new_answers_and_an_edit_read_little(client, world, db):
    _enter(client, world, households_of(world.k1)[0])
    assert client.get("/s/").status_code == 200
    first, edit = form_for(world.campaign, "5", comment="电梯常坏"), form_for(world.campaign, "2")

    resp, statements = _statements(db, lambda: client.post("/s/", data=first))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/thanks")
    # The visit, the freeze guard's check of the campaign, the household's follow-up request (the
    # totals are taken from the form, not read back).
    assert len(_reads(statements)) == 3, _reads(statements)
    # Writes: the response, its answers in one insert, the two totals, the signals: never one per answer.
    assert len(statements) <= 8, statements
    page, statements = _statements(db, lambda: client.get("/s/thanks"))
    assert page.status_code == 200 and "提交成功" in page.data.decode()
    # The visit, the compound's rectification items, the household's follow-up request.
    assert len(_reads(statements)) == 3, _reads(statements)

    resp, statements = _statements(db, lambda: client.post("/s/", data=edit))
    assert resp.status_code == 302
    # The visit, the response (its row locked), its answers with their ticks (one query), the
    # guard's check of the campaign, the follow-up request.
    assert len(_reads(statements)) == 5, _reads(statements)
    # Writes: the response, the changed answers in one statement, the two totals, the change (no
    # savepoint: a change locks its response's row instead).
    assert len(statements) <= 10, statements
    page = client.get("/s/").data.decode()
    assert "您已于" in page and 'value="2" required checked' in page


def test_a_wording_fix_after_the_freeze_reaches_the_survey(client, world, db):
    _enter(client, world, households_of(world.k1)[0])
    q = world.campaign.questions[0]
    assert q.text in client.get("/s/").data.decode()
    spec = qs.spec_of(world.campaign)
    fixed = spec.dimensions[0].questions[0]
    fixed.text = fixed.text + "呢"  # a typo-sized change: allowed on a frozen questionnaire
    qs.apply(world.campaign, spec)
    db.session.commit()
    assert fixed.text in client.get("/s/").data.decode()


def test_a_questionnaire_that_may_change_is_never_kept(app, world, db):
    with app.test_request_context("/"):
        campaign = world.campaign  # open, no response yet: still editable
        first = questionnaire.of(campaign)
        assert first.version is None
        campaign.questions[0].text = "新的题目文字"
        db.session.flush()
        assert questionnaire.of(campaign).questions[0].text == "新的题目文字"
