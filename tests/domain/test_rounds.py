"""Round to round: the previous round is found by scope, time and shared keys; changes are judged against noise."""
import math
from datetime import timedelta

import pytest

from survey_app.domain.campaigns import lifecycle as camp, spec as qs
from survey_app.domain.stats import rounds
from survey_app.access import Area
from survey_app.domain.clock import now
from survey_app.domain.campaigns.standard import create_campaign
from survey_app.domain.stats.scoring import Z95, UnitStats

from ..factories import answer, households_of


def _two_rounds(world, db, rename_dim=False, add_dim=False):
    """Round 1 (closed): k1 answers 3/2 alternately, k2 3/4, k3 once. Round 2 (open, a copy): k1 all 5, k2 4/3."""
    first = world.campaign
    k1, k2 = households_of(world.k1), households_of(world.k2)
    for i, h in enumerate(k1[:20]):
        answer(first, h, value=2 if i % 2 else 3)
    for i, h in enumerate(k2[:10]):
        answer(first, h, value=4 if i % 2 else 3)
    answer(first, households_of(world.k3)[0], value=4)  # k3: a single response
    camp.transition(first, "closed")
    db.session.commit()
    second = camp.copy_round(first, "第二轮", now() - timedelta(hours=1), now() + timedelta(days=10))
    db.session.flush()
    spec = qs.spec_of(second)
    if rename_dim:
        spec.dimension("cleaning").name = "环境卫生与垃圾分类"
    if add_dim:
        spec.dimensions.insert(0, qs.DimSpec(key="smart", name="智慧物业", name_en="Smart services", weight=0.1,
                                             questions=[qs.QuestionSpec(key="smart_app", kind="scale", text="线上报修")]))
    qs.apply(second, spec)
    camp.transition(second, "open")
    db.session.commit()
    for h in k1[:20]:
        answer(second, h, value=5)
    for i, h in enumerate(k2[:10]):
        answer(second, h, value=3 if i % 2 else 4)
    return first, second


def test_previous_round_is_the_latest_earlier_one_over_the_same_scope_sharing_keys(world, db):
    first, second = _two_rounds(world, db)
    assert rounds.previous_round(second).id == first.id
    assert rounds.previous_round(first) is None
    base = first.opens_at
    # Not the same scope, a draft, later, or sharing no key: none of these is the previous round.
    create_campaign("东城区测评", base + timedelta(hours=1), base + timedelta(days=2), status="closed",
                    scope_level="district", scope_id=world.east.id)
    create_campaign("草稿", base + timedelta(hours=2), base + timedelta(days=2), status="draft")
    create_campaign("以后", second.opens_at + timedelta(hours=1), base + timedelta(days=40), status="closed")
    other = create_campaign("别的问卷", base + timedelta(hours=3), base + timedelta(days=2), status="closed")
    db.session.flush()
    for q in other.questions:
        q.key = "x_" + q.key
    db.session.commit()
    assert rounds.previous_round(second).id == first.id
    closer = create_campaign("更近的一轮", base + timedelta(hours=4), base + timedelta(days=2), status="closed")
    db.session.commit()
    assert rounds.previous_round(second).id == closer.id


def _expected(values_now, values_then, households):
    now_s = UnitStats.from_scores(None, values_now, households)
    then_s = UnitStats.from_scores(None, values_then, households)
    return now_s.mean - then_s.mean, Z95 * math.sqrt(now_s.std_error ** 2 + then_s.std_error ** 2)


def test_compound_change_per_dimension_and_overall_with_its_noise(world, db):
    first, second = _two_rounds(world, db, rename_dim=True, add_dim=True)
    cmp = rounds.compare_unit(second, "compound", world.k1.id)
    assert cmp.previous.id == first.id and not cmp.same_questionnaire
    delta, noise = _expected([100.0] * 20, [25.0, 50.0] * 10, 40)
    assert cmp.overall.delta == pytest.approx(delta) and cmp.overall.noise == pytest.approx(noise)
    assert cmp.overall.significant and cmp.overall.direction == "up"
    by_key = {c.key: c for c in cmp.dimensions}
    assert by_key["smart"].previous is None and by_key["smart"].direction == "none"
    cleaning = by_key["cleaning"]  # renamed, same key: still compared
    assert cleaning.label == "环境卫生与垃圾分类" and cleaning.delta == pytest.approx(delta)
    assert cleaning.current.households == 40 and cleaning.previous.n == 20
    # k2 went from 3/4 to 4/3: the same spread, no real change.
    flat = rounds.compare_unit(second, "compound", world.k2.id)
    assert flat.overall.delta == pytest.approx(0.0) and flat.overall.direction == "flat"
    assert flat.overall.significant is False
    # k3 answered once in round 1 and not at all in round 2.
    none = rounds.compare_unit(second, "compound", world.k3.id)
    assert none.overall.delta is None and none.overall.direction == "none"


def test_a_change_from_too_few_answers_is_not_shown(world, db):
    """One answer in each round: a figure of a group under MIN_GROUP, so neither round nor the change shows."""
    first, second = _two_rounds(world, db)
    answer(second, households_of(world.k3)[1], value=2)
    cmp = rounds.compare_unit(second, "compound", world.k3.id)
    assert cmp.overall.current.withheld and cmp.overall.previous.withheld
    assert cmp.overall.current.n == 1 and cmp.overall.current.mean is None and cmp.overall.previous.mean is None
    assert cmp.overall.delta is None and cmp.overall.noise is None and cmp.overall.direction == "none"


def test_a_change_between_two_tiny_samples_cannot_be_judged():
    """The arithmetic, unguarded: one answer each side gives a difference but no noise to judge it by."""
    change = rounds.Change(key="index", current=UnitStats.from_scores(1, [25.0], 10),
                           previous=UnitStats.from_scores(1, [75.0], 10))
    assert change.delta == pytest.approx(-50.0)
    assert change.noise is None and change.significant is None and change.direction == "unknown"


def test_company_changes_pool_compounds_in_the_area(world, db):
    first, second = _two_rounds(world, db)
    previous, changes = rounds.overall_changes(second, Area("city"))
    assert previous.id == first.id
    c1 = changes[world.c1.id]  # k1 (20 answers each round) and k3 (1 answer in round 1)
    assert c1.previous.n == 21 and c1.current.n == 20 and c1.current.households == 70
    assert c1.direction == "up"
    assert changes[world.c2.id].direction == "flat"
    assert changes[world.c3.id].direction == "none"
    one = rounds.compare_unit(second, "company", world.c1.id, Area("city"))
    assert one.overall.delta == pytest.approx(c1.delta)
    street = rounds.overall_changes(second, Area("street", world.s1.id))[1]
    assert street[world.c1.id].previous.n == 20  # k3 lies in another street
    assert rounds.overall_changes(first, Area("city")) == (None, {})


def test_unknown_level_is_refused(world):
    with pytest.raises(ValueError):
        rounds.compare_unit(world.campaign, "planet", 1, previous=world.campaign)
