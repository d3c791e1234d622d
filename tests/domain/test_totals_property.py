"""Property: whatever residents, officers and roster imports do, the maintained totals (dimension
totals, compound totals, households per compound) equal a full recomputation from the stored rows."""
import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from survey_app.domain import roster
from survey_app.domain.integrity import review
from survey_app.domain.responses import totals
from survey_app.domain.responses.survey import dimension_specs
from survey_app.models import Building, Compound, CompoundTotal, DimensionTotal, Household, Response, User

from ..factories import answer, households_of
from .test_roster import row, xlsx

ANSWER = st.tuples(st.just("answer"), st.integers(0, 11), st.lists(st.integers(0, 5), min_size=20, max_size=20))
STATUS = st.tuples(st.just("status"), st.integers(0, 11), st.sampled_from(["held", "published"]))
DECIDE = st.tuples(st.just("decide"), st.integers(0, 11), st.sampled_from(["accept", "reject"]))
MOVE = st.tuples(st.just("move"), st.integers(0, 3), st.integers(0, 3))
ADD = st.tuples(st.just("add_households"), st.integers(0, 3), st.integers(1, 3))
DROP = st.tuples(st.just("drop_household"), st.integers(0, 50), st.just(0))
RELOCATE = st.tuples(st.just("relocate_household"), st.integers(0, 50), st.integers(0, 3))
IMPORT = st.tuples(st.just("roster_import"), st.integers(0, 1000), st.integers(0, 3))
ROOMS = itertools.count(1)  # rooms of added households, never the same twice
ACTIONS = st.lists(st.one_of(ANSWER, ANSWER, STATUS, DECIDE, MOVE, ADD, DROP, RELOCATE, IMPORT), min_size=1, max_size=15)


def _maintained(db, campaign_id):
    dims = {(r.compound_id, r.company_id, r.dimension_id, r.status): (r.n, r.total, r.total_sq, r.satisfied)
            for r in db.session.scalars(select(DimensionTotal).where(DimensionTotal.campaign_id == campaign_id))
            if r.n}
    compounds = {(r.compound_id, r.company_id, r.status): (r.n, r.total, r.total_sq, r.satisfied, r.overall_n,
                                                           r.comments)
                 for r in db.session.scalars(select(CompoundTotal).where(CompoundTotal.campaign_id == campaign_id))
                 if r.n}
    households = {cid: (n,) for cid, n in db.session.execute(select(Compound.id, Compound.households))}
    return dims, compounds, households


def _recomputed(db, campaign_id):
    dims = {tuple(r[:4]): tuple(r[4:]) for r in db.session.execute(totals.recomputed(campaign_id))}
    compounds = {tuple(r[:3]): tuple(r[3:]) for r in db.session.execute(totals.recomputed_compounds(campaign_id))}
    counted = dict(db.session.execute(totals.counted_households()).all())
    households = {cid: (counted.get(cid, 0),) for cid in db.session.scalars(select(Compound.id))}
    return dims, compounds, households


def _assert_same(kept: dict, truth: dict):
    """Counts equal exactly, sums up to the rounding of adding and taking away."""
    assert set(kept) == set(truth)
    for k, want in truth.items():
        got = kept[k]
        for g, w in zip(got, want):
            assert g == pytest.approx(float(w), rel=1e-9, abs=1e-6), (k, got, want)


def _answers(campaign, values):
    """A response's answers from drawn numbers: 0 is "not applicable" where allowed, else 1-5."""
    scored = [q for q in campaign.questions if q.scored]
    return {q.id: (None if v == 0 and q.allow_na else max(v, 1)) for q, v in zip(scored, values)}


def _live(db, campaign, household):
    return db.session.scalar(select(Response).where(Response.campaign_id == campaign.id,
                                                    Response.household_id == household.id,
                                                    Response.status != "rejected"))


def _step(db, world, kind, a, b, officer):
    campaign, compounds = world.campaign, [world.k1, world.k2, world.k3, world.k4]
    companies = [world.c1, world.c2, world.c3, None]
    voters = households_of(world.k1)[:5] + households_of(world.k2)[:4] + households_of(world.k4)[:3]
    dims = dimension_specs(campaign)
    if kind == "answer":  # a first answer, or a household changing its answers (with a comment or not)
        answer(campaign, voters[a], overrides=_answers(campaign, b), comment="楼道灯坏了两周" if b[-1] % 2 else None)
    elif kind == "status":  # the integrity scan holds a response, or lets it go
        resp = _live(db, campaign, voters[a])
        if resp is not None:
            totals.set_status(resp, b, dims)
    elif kind == "decide":  # an officer accepts or rejects a held response
        resp = _live(db, campaign, voters[a])
        if resp is not None and resp.status == "held":
            review.decide(officer, campaign, [resp.id], b)
    elif kind == "move":  # the compound changes company; later answers belong to the new one
        compounds[a].company = companies[b]
    elif kind == "add_households":
        building = db.session.scalar(select(Building).where(Building.compound_id == compounds[a].id))
        for _ in range(b):
            db.session.add(Household(building=building, compound_id=compounds[a].id, unit="9", room=str(next(ROOMS))))
    elif kind in ("drop_household", "relocate_household"):  # only households added above (nobody answered)
        added = db.session.scalars(select(Household).where(Household.unit == "9").order_by(Household.id)).all()
        if added:
            h = added[a % len(added)]
            if kind == "drop_household":
                db.session.delete(h)
            else:
                target = compounds[b]
                h.compound_id = target.id
                h.building_id = db.session.scalar(select(Building.id).where(Building.compound_id == target.id))
    elif kind == "roster_import":  # a street office imports new households (bulk insert)
        roster.import_roster(xlsx([row(compound="金色花园", building="1号楼", unit="8", room=str(a + r))
                                   for r in range(b + 1)]))
    db.session.commit()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(actions=ACTIONS)
def test_maintained_totals_equal_a_recomputation(world, db, actions):
    officer = db.session.scalar(select(User).where(User.username == "city"))
    for kind, a, b in actions:
        _step(db, world, kind, a, b, officer)
    db.session.expire_all()
    kept, truth = _maintained(db, world.campaign.id), _recomputed(db, world.campaign.id)
    for k, t in zip(kept, truth):
        _assert_same(k, t)
    totals.rebuild(world.campaign.id)  # a rebuild changes nothing that was kept right
    db.session.commit()
    for k, t in zip(_maintained(db, world.campaign.id), truth):
        _assert_same(k, t)


def test_flask_totals_rebuild_puts_drifted_totals_right(world, db, runner):
    for h in households_of(world.k1)[:3]:
        answer(world.campaign, h)
    truth = _recomputed(db, world.campaign.id)
    db.session.execute(CompoundTotal.__table__.delete())
    db.session.execute(Compound.__table__.update().values(households=0))
    db.session.commit()
    result = runner.invoke(args=["totals", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    for k, t in zip(_maintained(db, world.campaign.id), truth):
        _assert_same(k, t)
    assert _maintained(db, world.campaign.id)[2][world.k1.id] == (40,)
