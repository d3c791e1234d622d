"""A household changing its answers: what is stored after each change, what a caller holding the
response's answers reads, and the totals (equal to a full recomputation)."""
import pytest
from sqlalchemy import select, update

from survey_app.domain.campaigns import lifecycle as camp
from survey_app.domain.responses import totals
from survey_app.domain.responses.survey import parse_form, save_response
from survey_app.models import Answer, Campaign, Question, RectificationRequest, Response
from survey_app.models.integrity import ResponseChange

from ..factories import form_for, households_of, stored_totals


def _stored(db, response_id) -> dict:
    return {qid: (value, choice, text) for qid, value, choice, text in db.session.execute(
        select(Answer.question_id, Answer.value, Answer.choice, Answer.text).where(Answer.response_id == response_id))}


def test_changes_add_change_and_clear_answers_and_the_held_answers_follow(world, db):
    c = world.campaign
    note = Question(dimension_id=c.dimensions[0].id, key="note", text="其他想说的", kind="text", allow_na=False,
                    position=99)
    db.session.add(note)
    db.session.commit()
    db.session.refresh(c)
    scored = [q for q in c.questions if q.scored]
    h = households_of(world.k1)[0]

    resp = save_response(c, h.id, parse_form(c, form_for(c, "4")))  # no text: no answer to it
    db.session.commit()
    assert note.id not in _stored(db, resp.id)
    held = {a.question_id: a for a in resp.answers}  # a caller holding the answers

    resp = save_response(c, h.id, parse_form(c, form_for(c, "2", **{f"q{note.id}": " 楼道灯坏了 "})))
    assert held[scored[0].id].value == 2  # before the commit too
    db.session.commit()
    stored = _stored(db, resp.id)
    assert stored[note.id] == (None, None, "楼道灯坏了")
    assert all(stored[q.id] == (2, None, None) for q in scored)
    assert held[scored[0].id].value == 2 and resp.score == 25.0
    assert {a.question_id: a.text for a in resp.answers}[note.id] == "楼道灯坏了"

    form = form_for(c, "5", **{f"q{note.id}": ""})
    form[f"q{scored[0].id}"] = "na" if scored[0].allow_na else "3"
    resp = save_response(c, h.id, parse_form(c, form))  # the text cleared, one answer changed apart
    db.session.commit()
    stored = _stored(db, resp.id)
    assert note.id not in stored and note.id not in {a.question_id for a in resp.answers}
    assert stored[scored[0].id] == ((None if scored[0].allow_na else 3), None, None)
    assert all(stored[q.id] == (5, None, None) for q in scored[1:])
    assert len(db.session.scalars(select(ResponseChange).where(ResponseChange.response_id == resp.id)).all()) == 2

    maintained = stored_totals(c.id)
    totals.rebuild(c.id)
    rebuilt = stored_totals(c.id)
    assert set(maintained) == set(rebuilt)
    for key, want in rebuilt.items():
        assert maintained[key] == pytest.approx(want, abs=1e-6), key


def test_a_first_answer_that_meets_a_twins_response_is_saved_as_its_change(world, db):
    # A twin request (a double tap) read "no response yet" before the first one was saved: its insert
    # meets the unique index, and it is saved again as a change of the one response.
    c = world.campaign
    h = households_of(world.k1)[1]
    asked = {"followup": "1", "followup_category": c.dimensions[0].key, "followup_text": "电梯常坏"}
    first = save_response(c, h.id, parse_form(c, form_for(c, "4", **asked)))
    db.session.commit()
    again = save_response(c, h.id, parse_form(c, form_for(c, "2")), first=True)
    db.session.commit()
    live = db.session.scalars(select(Response).where(Response.household_id == h.id)).all()
    assert [r.id for r in live] == [again.id] == [first.id] and again.score == 25.0
    assert {v for v, _c, _t in _stored(db, again.id).values() if v is not None} == {2}
    assert db.session.scalars(select(RectificationRequest).where(RectificationRequest.household_id == h.id)).all() == []
    assert len(db.session.scalars(select(ResponseChange).where(ResponseChange.response_id == again.id)).all()) == 1
    maintained = stored_totals(c.id)
    totals.rebuild(c.id)
    assert set(maintained) == set(stored_totals(c.id))
    for key, want in stored_totals(c.id).items():
        assert maintained[key] == pytest.approx(want, abs=1e-6), key


def test_answers_to_a_campaign_closed_meanwhile_are_refused_first_or_changed(world, db):
    # Closed by another request after this one read the campaign as open: the freeze guard's check
    # refuses the first answer (written around the ORM) and the change alike.
    c = world.campaign
    answered, new = households_of(world.k1)[2:4]
    save_response(c, answered.id, parse_form(c, form_for(c, "4")))
    db.session.commit()
    db.session.execute(update(Campaign.__table__).where(Campaign.__table__.c.id == c.id).values(status="closed"))
    assert c.status == "open"
    for h in (new, answered):
        sp = db.session.begin_nested()
        with pytest.raises(camp.CampaignFrozen):
            save_response(c, h.id, parse_form(c, form_for(c, "2")))
        sp.rollback()
    assert db.session.scalar(select(Response.id).where(Response.household_id == new.id)) is None
    assert {v for v, _c, _t in _stored(db, db.session.scalar(select(Response.id).where(
        Response.household_id == answered.id))).values() if v is not None} == {4}
