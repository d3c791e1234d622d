"""Rates of the rectification loop (docs/rectification_rates.md) and items followed into the next round."""
from datetime import date, datetime, timedelta

import pytest

from survey_app.access import Area
from survey_app.domain.campaigns import lifecycle as camp
from survey_app.domain.clock import now
from survey_app.domain.rectification.rates import LoopRates, fix_effect, loop_rates, totals
from survey_app.domain.stats import benchmark
from survey_app.domain.stats.rounds import ItemScore, item_scores
from survey_app.models import Household, RectificationConfirmation, RectificationItem

from ..factories import answer, households_of

TODAY = date(2026, 6, 30)
DAY0 = datetime(2026, 5, 31, 9, 30)  # thirty days before TODAY


def _item(db, world, compound, key, status, *, assigned=None, started=None, submitted=None, deadline=None,
          missed=False, submissions=0, company=None):
    it = RectificationItem(campaign_id=world.campaign.id, compound_id=compound.id,
                           company_id=(company or compound.company).id, category_key=key, category=key,
                           evidence="x", status=status, created_at=DAY0 - timedelta(days=1), assigned_at=assigned,
                           started_at=started, submitted_at=submitted, deadline=deadline, deadline_missed=missed,
                           submissions=submissions)
    db.session.add(it)
    db.session.flush()
    return it


def _votes(db, item, submission, answers):
    homes = db.session.scalars(db.select(Household.id).where(Household.compound_id == item.compound_id)
                               .order_by(Household.id)).all()
    for home, a in zip(homes, answers):
        db.session.add(RectificationConfirmation(item_id=item.id, household_id=home, submission=submission,
                                                 answer=a, at=DAY0))


def _crafted(db, world):
    """Items of 甲 (k1 in 文化路, k3 in 光明路) and 乙 (k2 in 文化路) with known timestamps."""
    w = world
    a = _item(db, w, w.k1, "a", "verified", assigned=DAY0, started=DAY0 + timedelta(days=3),
              submitted=DAY0 + timedelta(days=9), submissions=1)
    _votes(db, a, 1, ["fixed", "fixed", "not_fixed"])  # majority: confirmed
    _item(db, w, w.k1, "b", "closed", assigned=DAY0, started=DAY0 + timedelta(days=10))  # late, closed unfixed
    # Submitted without a start exactly seven days after the handover: in time. Residents were asked
    # twice; the current (second) submission's answers tie, so it is not confirmed.
    c = _item(db, w, w.k3, "c", "submitted", assigned=DAY0, submitted=DAY0 + timedelta(days=7), submissions=2)
    _votes(db, c, 1, ["fixed", "fixed", "fixed"])
    _votes(db, c, 2, ["fixed", "not_fixed"])
    # Handed two days ago and not started: its start window is still open (not counted either way);
    # its deadline passed yesterday: overdue now, and so missed.
    _item(db, w, w.k3, "d", "assigned", assigned=datetime(2026, 6, 28, 10), deadline=TODAY - timedelta(days=1))
    # Handed twenty days ago, never started: late. Deadline ahead: not overdue.
    _item(db, w, w.k1, "e", "assigned", assigned=DAY0 + timedelta(days=10), deadline=TODAY + timedelta(days=5))
    _item(db, w, w.k1, "f", "open")  # never handed over
    # Fixed after missing its deadline: verified, missed, not overdue.
    _item(db, w, w.k3, "g", "verified", assigned=DAY0, started=DAY0 + timedelta(days=1),
          submitted=DAY0 + timedelta(days=20), deadline=DAY0.date() + timedelta(days=15), missed=True, submissions=1)
    h = _item(db, w, w.k2, "h", "returned", assigned=datetime(2026, 6, 20, 8), started=datetime(2026, 6, 21, 8),
              submitted=datetime(2026, 6, 22, 8), deadline=TODAY - timedelta(days=3), submissions=1)
    _votes(db, h, 1, ["unsure"])  # answered, not confirmed
    db.session.commit()


def test_loop_rates_per_company_count_exactly(world, db):
    _crafted(db, world)
    rates = loop_rates(world.campaign.id, by="company", today=TODAY)
    assert set(rates) == {world.c1.id, world.c2.id}
    c1 = rates[world.c1.id]
    assert c1.label == "甲物业服务有限公司"
    assert (c1.items, c1.handed, c1.start_due, c1.started_in_time, c1.started_late) == (7, 6, 5, 3, 2)
    assert (c1.verified, c1.closed) == (2, 1)  # closed without a fix is kept apart
    assert c1.verified_share == pytest.approx(2 / 6) and c1.closed_share == pytest.approx(1 / 6)
    assert c1.started_share == pytest.approx(3 / 5)
    assert (c1.asked, c1.answered, c1.confirmed) == (3, 2, 1) and c1.confirmed_share == pytest.approx(1 / 3)
    assert (c1.overdue, c1.missed) == (1, 2)
    c2 = rates[world.c2.id]
    assert (c2.items, c2.handed, c2.start_due, c2.started_in_time, c2.verified, c2.closed) == (1, 1, 1, 1, 0, 0)
    assert (c2.asked, c2.answered, c2.confirmed, c2.overdue, c2.missed) == (1, 1, 0, 1, 1)
    assert c2.verified_share == 0 and c2.confirmed_share == 0
    # A shorter start window makes the seven-day submission and the three-day start late.
    short = loop_rates(world.campaign.id, by="company", today=TODAY, days=2)[world.c1.id]
    assert short.started_in_time == 1  # only the start after one day


def test_loop_rates_per_street_within_an_area(world, db):
    _crafted(db, world)
    rates = loop_rates(world.campaign.id, by="street", compound_clause=Area("district", world.east.id).compound_clause(),
                       today=TODAY)
    assert set(rates) == {world.s1.id, world.s2.id}
    s1 = rates[world.s1.id]
    assert s1.label == "文化路街道"
    assert (s1.items, s1.handed, s1.start_due, s1.started_in_time, s1.verified, s1.closed) == (5, 4, 4, 2, 1, 1)
    assert (s1.asked, s1.answered, s1.confirmed, s1.overdue, s1.missed) == (2, 2, 1, 1, 1)
    s2 = rates[world.s2.id]
    assert (s2.items, s2.handed, s2.start_due, s2.started_in_time, s2.verified, s2.overdue, s2.missed) == \
        (3, 3, 2, 2, 1, 1, 2)
    only = loop_rates(world.campaign.id, by="street", compound_clause=Area("street", world.s2.id).compound_clause(),
                      today=TODAY)
    assert set(only) == {world.s2.id}
    # Tomorrow the window of the item handed two days ago has not closed; in six days it has.
    later = loop_rates(world.campaign.id, by="street", today=TODAY + timedelta(days=6))[world.s2.id]
    assert later.start_due == 3 and later.started_in_time == 2
    all_ = totals(rates)
    assert all_.items == 8 and all_.verified == 2 and all_.missed == 3


def test_empty_units_have_no_share():
    empty = LoopRates(key=1)
    assert empty.started_share is None and empty.verified_share is None and empty.confirmed_share is None
    assert totals({}) is None


def test_unknown_unit_is_refused(world):
    with pytest.raises(ValueError):
        loop_rates(world.campaign.id, by="district", today=TODAY)


def _ranked(world):
    for h in households_of(world.k1)[:10]:
        answer(world.campaign, h, 5)
    for h in households_of(world.k2)[:10]:
        answer(world.campaign, h, 2)


def test_company_with_an_overdue_item_is_no_benchmark_candidate(world, db):
    _ranked(world)
    today = now().date()
    item = _item(db, world, world.k1, "cleaning", "in_progress", assigned=now() - timedelta(days=40),
                 started=now() - timedelta(days=39), deadline=today - timedelta(days=1))
    db.session.commit()
    loop = loop_rates(world.campaign.id, by="company", today=today)
    cands = {c.row.stats.key: c for c in benchmark.candidates(world.campaign, Area("city"), today=today, loop=loop)}
    top = cands[world.c1.id]
    assert not top.qualifies and top.overdue == 1 and "有 1 条逾期未完成的整改事项" in top.reasons
    assert top.loop is loop[world.c1.id] and top.loop.overdue == 1 and top.loop.started_in_time == 1
    item.status = "verified"
    db.session.commit()
    cands = {c.row.stats.key: c for c in benchmark.candidates(world.campaign, Area("city"), today=today)}
    assert cands[world.c1.id].qualifies and cands[world.c1.id].loop is None


def _next_round(world, db, values_then, values_next, k2_then=(), k2_next=()):
    """Round 1 with k1 answering `values_then` (k2 `k2_then`), closed; round 2 (a copy) with k1
    answering `values_next` (k2 `k2_next`)."""
    first = world.campaign
    homes, homes2 = households_of(world.k1), households_of(world.k2)
    for h, v in list(zip(homes, values_then)) + list(zip(homes2, k2_then)):
        answer(first, h, v)
    camp.transition(first, "closed")
    db.session.commit()
    second = camp.copy_round(first, "第二轮", now() - timedelta(hours=1), now() + timedelta(days=10))
    db.session.flush()
    camp.transition(second, "open")
    db.session.commit()
    for h, v in list(zip(homes, values_next)) + list(zip(homes2, k2_next)):
        answer(second, h, v)
    return first, second


def test_item_scores_follow_the_dimension_into_the_next_round(world, db):
    first, second = _next_round(world, db, [2] * 6, [4] * 6)
    dim = next(d for d in first.dimensions if d.key == "cleaning")
    fixed = _item(db, world, world.k1, "cleaning", "verified", assigned=now())
    fixed.dimension_id = dim.id
    other = _item(db, world, world.k1, "other", "open")  # no dimension: no scores
    small = _item(db, world, world.k3, "cleaning", "open")  # k3 never answered
    small.dimension_id = dim.id
    db.session.commit()
    scores = item_scores([fixed, other, small])
    assert scores[fixed.id] == (25.0, 75.0) and scores[fixed.id].change == 50.0
    then, nxt = scores[fixed.id]
    assert (then, nxt) == (25.0, 75.0)
    assert scores[other.id] == ItemScore(None, None) and scores[small.id].change is None
    # An item of the latest round has no next round yet.
    latest = RectificationItem(campaign_id=second.id, compound_id=world.k1.id, company_id=world.c1.id,
                               dimension_id=next(d.id for d in second.dimensions if d.key == "cleaning"),
                               category_key="cleaning", category="环境卫生", evidence="x", created_at=now())
    db.session.add(latest)
    db.session.commit()
    assert item_scores([latest])[latest.id] == (75.0, None)


def test_item_scores_show_nothing_for_a_small_group(world, db):
    first, second = _next_round(world, db, [2] * 6, [4] * 4)  # four answers next round: under five
    dim = next(d for d in first.dimensions if d.key == "cleaning")
    it = _item(db, world, world.k1, "cleaning", "verified", assigned=now())
    it.dimension_id = dim.id
    db.session.commit()
    assert item_scores([it])[it.id] == (25.0, None)


def test_fix_effect_of_the_previous_round_on_a_street(world, db):
    first, second = _next_round(world, db, [2] * 6, [4] * 6, [3] * 6, [3] * 6)
    dims = {d.key: d.id for d in first.dimensions}
    fixed = _item(db, world, world.k1, "cleaning", "verified", assigned=now())
    fixed.dimension_id = dims["cleaning"]
    unfixed = _item(db, world, world.k2, "cleaning", "closed", assigned=now())
    unfixed.dimension_id = dims["cleaning"]
    _item(db, world, world.k4, "cleaning", "verified")  # another district's street: not counted
    db.session.commit()
    effect = fix_effect(second, Area("street", world.s1.id))
    assert effect.previous.id == first.id and effect.items == 2 and effect.closed == 1
    assert effect.fixed.items == 1 and effect.fixed.mean_change == 50.0
    assert effect.unfixed.items == 1 and effect.unfixed.mean_change == 0.0
    assert fix_effect(first, Area("street", world.s1.id)) is None  # not a copy of an earlier round
