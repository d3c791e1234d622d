"""The SQL aggregates equal a plain recomputation from the stored responses, at every level."""
import random
from collections import defaultdict

import pytest
from sqlalchemy import select

from survey_app.domain.responses import totals
from survey_app.access import Area
from survey_app.domain.responses.survey import dimension_specs
from survey_app.domain.stats.aggregates import dimension_stats, unit_stats
from survey_app.domain.stats.scoring import DimensionSpec, UnitStats, dimension_scores
from survey_app.models import Compound, Household, Response

from ..factories import answer, households_of


@pytest.fixture
def answered(world, db):
    rng = random.Random(7)
    questions = world.campaign.questions
    for compound in (world.k1, world.k2, world.k3, world.k4):
        for h in households_of(compound):
            if rng.random() < 0.5:
                overrides = {q.id: (None if q.allow_na and rng.random() < 0.1 else rng.randint(1, 5))
                             for q in questions if q.scored}
                answer(world.campaign, h, overrides=overrides)
    # One held response: counted only when asked for.
    r = db.session.scalars(select(Response).order_by(Response.id)).first()
    totals.set_status(r, "held", dimension_specs(world.campaign))
    db.session.commit()
    return world


KEY = {"compound": lambda r, c: r.compound_id, "company": lambda r, c: r.company_id,
       "community": lambda r, c: c.community_id, "street": lambda r, c: c.street_id,
       "district": lambda r, c: c.district_id, "city": lambda r, c: None}


def test_unit_stats_equal_a_recomputation(answered, db):
    for level in KEY:
        for include_held in (False, True):
            _check_level(answered, db, level, include_held)


def _check_level(world, db, level, include_held):
    compounds = {c.id: c for c in db.session.scalars(select(Compound))}
    groups = defaultdict(list)
    for r in db.session.scalars(select(Response)):
        if r.status == "published" or include_held:
            groups[KEY[level](r, compounds[r.compound_id])].append(r)
    got = {s.key: s for s in unit_stats(world.campaign.id, Area("city"), level, include_held)}
    for key, rs in groups.items():
        s = got[key]
        expect = UnitStats.from_scores(key, [r.score for r in rs], households=s.households,
                                       overall=[r.overall for r in rs])
        assert (s.n, s.satisfied, s.overall_n) == (expect.n, expect.satisfied, expect.overall_n)
        assert s.mean == pytest.approx(expect.mean) and s.total_sq == pytest.approx(expect.total_sq)
    hh = defaultdict(int)
    for h in db.session.scalars(select(Household)):
        c = compounds[h.compound_id]
        hh[{"compound": c.id, "company": c.company_id, "community": c.community_id, "street": c.street_id,
            "district": c.district_id, "city": None}[level]] += 1
    assert {k: s.households for k, s in got.items()} == dict(hh)


def test_dimension_stats_equal_a_recomputation(answered, db):
    world = answered
    dims = [DimensionSpec(d.id, d.weight, tuple(q.id for q in d.questions)) for d in world.campaign.dimensions]
    per = defaultdict(list)
    for r in db.session.scalars(select(Response).where(Response.status == "published")):
        for did, score in dimension_scores({a.question_id: a.value for a in r.answers}, dims).items():
            per[(r.company_id, did)].append(score)
    got = dimension_stats(world.campaign.id, Area("city"), "company")
    assert set(got) == set(per)
    for key, scores in per.items():
        assert got[key].n == len(scores) and got[key].mean == pytest.approx(sum(scores) / len(scores))
        assert got[key].satisfied == sum(1 for s in scores if s >= 75 - 1e-9)


def test_scope_limits_the_units(answered, db):
    world = answered
    street = unit_stats(world.campaign.id, Area("street", world.s1.id), "compound")
    assert {s.key for s in street} == {world.k1.id, world.k2.id}
