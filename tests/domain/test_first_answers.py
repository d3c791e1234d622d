"""First answers written in bulk (the demo's integrity story) store what `save_response` stores."""
from datetime import timedelta

from sqlalchemy import inspect, select

from survey_app.domain.clock import now
from survey_app.domain.integrity.first_answers import FirstAnswers, fits
from survey_app.domain.integrity.signals import Seen
from survey_app.domain.responses.survey import ParsedSurvey, existing_response, save_response
from survey_app.models import Answer, Response
from survey_app.models.integrity import ResponseSignal

from ..factories import households_of


def _stored(db, household_id: int) -> dict:
    """What is stored of a household's response, without its ids."""
    resp = db.session.scalar(select(Response).where(Response.household_id == household_id))
    signal = db.session.get(ResponseSignal, resp.id)
    plain = {c.key: getattr(resp, c.key) for c in inspect(Response).column_attrs if c.key not in ("id", "household_id")}
    answers = [(a.question_id, a.value, a.choice, a.text)
               for a in db.session.scalars(select(Answer).where(Answer.response_id == resp.id).order_by(Answer.id))]
    sig = {c.key: getattr(signal, c.key) for c in inspect(ResponseSignal).column_attrs if c.key != "response_id"}
    return {"response": plain, "answers": answers, "signal": sig}


def test_bulk_first_answers_store_what_save_response_stores(world, db):
    campaign = world.campaign
    first, second, third = households_of(world.k1)[:3]
    scored = [q for q in campaign.questions if q.scored]
    answers = {q.id: (5 if i % 3 else 4) for i, q in enumerate(scored)}
    answers[scored[-1].id] = None
    parsed = ParsedSurvey(answers=answers, comment="电梯经常停。")
    when = now() - timedelta(hours=3)
    seen = Seen("device-1", "117.8.9.10", "Mozilla/5.0 MicroMessenger/8.0.50", when - timedelta(seconds=200))
    assert fits(parsed, "self") and not fits(parsed, "assisted")

    save_response(campaign, first.id, parsed, seen=seen, when=when)
    bulk = FirstAnswers(campaign)
    rid = bulk.add(second.id, world.k1.id, world.k1.company_id, parsed, seen, when)
    assert bulk.flush() == 1
    db.session.expire_all()

    assert _stored(db, second.id) == _stored(db, first.id)
    assert existing_response(campaign.id, second.id).id == rid
    # The ids go on from the rows written in bulk: the next answers (and a later change) save as usual.
    later = save_response(campaign, third.id, parsed, seen=seen, when=when)
    assert later.id == rid + 1
    changed = save_response(campaign, second.id, ParsedSurvey(answers={q.id: 2 for q in scored}), seen=seen,
                            when=when + timedelta(hours=1))
    assert changed.id == rid and {a.value for a in changed.answers} == {2}
