"""Twin submissions (a double tap, two phones of one household) on PostgreSQL, where they really
overlap: the household keeps one response, the later answers, and the totals stay exact."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from survey_app.domain.responses import totals
from survey_app.domain.responses.survey import parse_form, save_response
from survey_app.extensions import db as _db
from survey_app.models import Answer, Campaign, Response
from survey_app.models.integrity import ResponseChange

from ..factories import form_for, households_of, stored_totals


@pytest.fixture
def db_url(pg_url):
    return pg_url  # the race needs PostgreSQL's concurrent transactions (SQLite writers queue)


def _twins(app, campaign_id: int, household_id: int, values: tuple[str, str], first: bool | None) -> list:
    """Two submissions: the second starts once the first has written, and the first commits a
    moment later (the second meanwhile waits on it)."""
    written, done, errors = threading.Event(), threading.Event(), []

    def submit(value, before_commit):
        try:
            with app.app_context():
                campaign = _db.session.get(Campaign, campaign_id)
                save_response(campaign, household_id, parse_form(campaign, form_for(campaign, value)), first=first)
                before_commit()
                _db.session.commit()
                _db.session.remove()
        except Exception as e:  # reported by the test
            errors.append(e)

    a = threading.Thread(target=submit, args=(values[0], lambda: (written.set(), time.sleep(0.5))))
    b = threading.Thread(target=submit, args=(values[1], done.set))
    a.start()
    assert written.wait(10)
    b.start()
    a.join(10)
    b.join(10)
    assert done.is_set()
    return errors


def _one_response_with(db, campaign_id, household_id, value: int) -> Response:
    db.session.expire_all()
    live = db.session.scalars(select(Response).where(Response.campaign_id == campaign_id,
                                                     Response.household_id == household_id)).all()
    assert len(live) == 1
    values = set(db.session.scalars(select(Answer.value).where(Answer.response_id == live[0].id,
                                                               Answer.value.is_not(None))))
    assert values == {value}
    return live[0]


def _assert_totals_exact(db, campaign_id):
    maintained = stored_totals(campaign_id)
    totals.rebuild(campaign_id)
    rebuilt = stored_totals(campaign_id)
    assert set(maintained) == set(rebuilt)
    for key, want in rebuilt.items():
        assert maintained[key] == pytest.approx(want, abs=1e-6), key


@pytest.mark.parametrize("first", [True, None])  # the survey's visit read "no response yet"; the assisted form
def test_twin_first_answers_keep_one_response(app, world, db, first):
    c, h = world.campaign, households_of(world.k1)[5]
    db.session.commit()
    assert _twins(app, c.id, h.id, ("4", "2"), first) == []
    resp = _one_response_with(db, c.id, h.id, 2)
    assert len(db.session.scalars(select(ResponseChange).where(ResponseChange.response_id == resp.id)).all()) == 1
    _assert_totals_exact(db, c.id)


def test_twin_changes_move_the_totals_once_each(app, world, db):
    c, h = world.campaign, households_of(world.k1)[6]
    save_response(c, h.id, parse_form(c, form_for(c, "3")))
    db.session.commit()
    assert _twins(app, c.id, h.id, ("5", "1"), None) == []
    resp = _one_response_with(db, c.id, h.id, 1)
    changes = db.session.scalars(select(ResponseChange).where(ResponseChange.response_id == resp.id)
                                 .order_by(ResponseChange.id)).all()
    assert [(x.score_before, x.score_after) for x in changes] == [(50.0, 100.0), (100.0, 0.0)]
    _assert_totals_exact(db, c.id)
