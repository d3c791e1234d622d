"""The demo's integrity story at city scale: first answers written in bulk store what `save_response`
stores; a scan that rebuilds the totals instead of moving them per response ends the same."""
from datetime import timedelta

from sqlalchemy import inspect, select

from survey_app.domain.clock import now
from survey_app.domain.integrity import scan
from survey_app.domain.integrity.first_answers import FirstAnswers, fits
from survey_app.domain.integrity.signals import Seen
from survey_app.domain.responses.survey import ParsedSurvey, existing_response, save_response
from survey_app.models import Answer, Response
from survey_app.models.integrity import ResponseSignal
from survey_app.models.totals import DimensionTotal

from ..factories import answer, households_of


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


def _totals(db) -> list:
    rows = db.session.execute(select(DimensionTotal.compound_id, DimensionTotal.dimension_id, DimensionTotal.status,
                                     DimensionTotal.n, DimensionTotal.total)
                              .where(DimensionTotal.n != 0).order_by(DimensionTotal.compound_id,
                                                                     DimensionTotal.dimension_id,
                                                                     DimensionTotal.status)).all()
    return [(*r[:4], round(r[4], 6)) for r in rows]


def test_a_scan_that_rebuilds_the_totals_holds_the_same_and_leaves_the_same_totals(world, db):
    homes = households_of(world.k1)
    phone = Seen("staff-phone-aaaaaaaaaaaaaaaa", "198.51.100.7", "Mozilla/5.0 同一部手机")
    for h in homes[:4]:
        answer(world.campaign, h, 5, seen=phone)
    for i, h in enumerate(homes[4:10]):
        answer(world.campaign, h, 2, seen=Seen(f"resident-{i}-bbbbbbbbbbbbbbbbbb", f"203.0.113.{i}", f"UA {i}"))
    savepoint = db.session.begin_nested()
    moved = scan.scan(world.campaign)
    expected = (dict(db.session.execute(select(Response.id, Response.status)).all()), _totals(db))
    savepoint.rollback()
    rebuilt = scan.scan(world.campaign, rebuild_totals=True)
    db.session.commit()
    db.session.expire_all()
    assert (rebuilt.held, rebuilt.newly_held) == (moved.held, moved.newly_held) == (4, 4)
    assert (dict(db.session.execute(select(Response.id, Response.status)).all()), _totals(db)) == expected
