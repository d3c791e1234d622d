"""The maintained dimension totals always equal a full recomputation from the answers."""
import random

import pytest
from sqlalchemy import select

from survey_app.domain.responses import totals
from survey_app.domain.responses.survey import dimension_specs
from survey_app.models import Response
from survey_app.models.totals import DimensionTotal

from ..factories import answer, households_of


def _snapshot(db, campaign_id):
    rows = db.session.scalars(select(DimensionTotal).where(DimensionTotal.campaign_id == campaign_id)).all()
    return {(r.compound_id, r.company_id, r.dimension_id, r.status): (r.n, r.total, r.total_sq, r.satisfied)
            for r in rows if r.n}


def _assert_equal(maintained, rebuilt):
    assert set(maintained) == set(rebuilt)
    for k, (n, t, tq, sat) in rebuilt.items():
        m = maintained[k]
        assert (m[0], m[3]) == (n, sat), k
        assert m[1] == pytest.approx(t, abs=1e-6) and m[2] == pytest.approx(tq, abs=1e-4)


@pytest.mark.parametrize("seed", [1, 2])
def test_totals_after_random_submissions_edits_reviews_and_company_changes(world, db, seed):
    rng = random.Random(seed)
    campaign = world.campaign
    dims = dimension_specs(campaign)
    households = households_of(world.k1)[:15] + households_of(world.k2)[:10] + households_of(world.k4)[:8]
    questions = campaign.questions
    for step in range(60):
        h = rng.choice(households)
        action = rng.random()
        if action < 0.7:  # a first answer or a household changing its answers
            answer(campaign, h, overrides={q.id: (None if q.allow_na and rng.random() < 0.15 else rng.randint(1, 5))
                                           for q in questions if q.scored})
        elif action < 0.9:  # an officer holds or publishes a response
            r = db.session.scalar(select(Response).where(Response.household_id == h.id))
            if r is not None:
                totals.set_status(r, rng.choice(["held", "published"]), dims)
                db.session.commit()
        else:  # the compound changes company; later answers belong to the new one
            world.k1.company = rng.choice([world.c1, world.c2, None])
            db.session.commit()
    maintained = _snapshot(db, campaign.id)
    totals.rebuild(campaign.id)
    db.session.commit()
    _assert_equal(maintained, _snapshot(db, campaign.id))
