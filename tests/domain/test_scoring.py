import math

import pytest
from hypothesis import given, settings, strategies as st

from survey_app.domain.stats.ranking import eligibility, rank_units, shrink
from survey_app.domain.stats.scoring import DimensionSpec, UnitStats, dimension_scores, response_index, to_100

DIMS = [DimensionSpec(1, 0.5, (11, 12)), DimensionSpec(2, 0.3, (21,)), DimensionSpec(3, 0.2, (31,))]


def test_answers_map_onto_0_to_100():
    assert [to_100(a) for a in (1, 2, 3, 4, 5)] == [0, 25, 50, 75, 100]


def test_dimension_score_is_mean_of_answered_questions_and_skips_not_applicable():
    scores = dimension_scores({11: 5, 12: None, 21: 3, 31: None}, DIMS)
    assert scores == {1: 100.0, 2: 50.0}  # dimension 3 has no answered question


def test_response_index_renormalises_weights_over_answered_dimensions():
    # dims 1 and 2 answered: (0.5*100 + 0.3*50) / 0.8
    assert response_index({11: 5, 12: None, 21: 3, 31: None}, DIMS) == pytest.approx(81.25)
    assert response_index({11: None, 12: None, 21: None, 31: None}, DIMS) is None


def test_interval_uses_finite_population_correction():
    scores = [50, 60, 70, 80, 90] * 4  # n=20
    small_pop = UnitStats.from_scores(1, scores, households=25)
    big_pop = UnitStats.from_scores(1, scores, households=100000)
    lo_s, hi_s = small_pop.interval
    lo_b, hi_b = big_pop.interval
    assert hi_s - lo_s < hi_b - lo_b
    # Known value: sd of the scores, se with FPC sqrt((25-20)/(25-1)).
    sd = math.sqrt(sum((s - 70) ** 2 for s in scores) / 19)
    assert (hi_s - lo_s) / 2 == pytest.approx(1.959964 * sd / math.sqrt(20) * math.sqrt(5 / 24), rel=1e-5)


def test_every_household_answered_means_no_doubt():
    s = UnitStats.from_scores(1, [40, 60, 80], households=3)
    assert s.interval == (60.0, 60.0)


def test_satisfaction_rate_counts_4_and_5_of_the_overall_question():
    s = UnitStats.from_scores(1, [1, 2, 3, 4], households=10, overall=[5, 4, 3, None])
    assert s.satisfaction_rate == pytest.approx(2 / 3)


def test_units_below_threshold_are_not_ranked_and_say_why():
    few = UnitStats.from_scores(1, [90, 95, 100], households=10, label="few")
    low_cov = UnitStats.from_scores(2, [80] * 12, households=1000, label="low coverage")
    ok = UnitStats.from_scores(3, [60, 70, 80] * 4, households=40, label="ok")
    r = rank_units([few, low_cov, ok], min_responses=10, min_coverage=0.1)
    assert [row.stats.label for row in r.ranked] == ["ok"]
    reasons = {row.stats.label: row.reason for row in r.unranked}
    assert "样本不足" in reasons["few"] and "参评率不足" in reasons["low coverage"]
    assert all(row.rank is None for row in r.unranked)


def test_bands_group_units_whose_intervals_overlap():
    a = UnitStats.from_scores(1, [88, 90, 92] * 10, households=200, label="a")
    b = UnitStats.from_scores(2, [87, 89, 91] * 10, households=200, label="b")
    c = UnitStats.from_scores(3, [40, 50, 60] * 10, households=200, label="c")
    r = rank_units([c, b, a], min_responses=5, min_coverage=0.05)
    assert [(row.stats.label, row.rank, row.band) for row in r.ranked] == [("a", 1, 1), ("b", 2, 1), ("c", 3, 2)]


def test_shrinkage_pulls_a_noisy_unit_harder_than_a_precise_one():
    assert shrink(90, se=10, prior_mean=70, tau2=25) < shrink(90, se=1, prior_mean=70, tau2=25)


scores_st = st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=2, max_size=40)


@settings(max_examples=80, deadline=None)
@given(scores_st, st.randoms())
def test_order_of_responses_does_not_matter(scores, rnd):
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    a = UnitStats.from_scores(1, scores, households=100)
    b = UnitStats.from_scores(1, shuffled, households=100)
    assert a.mean == pytest.approx(b.mean) and a.variance == pytest.approx(b.variance, abs=1e-6)


@settings(max_examples=80, deadline=None)
@given(scores_st)
def test_an_all_fives_response_never_lowers_an_index(scores):
    before = UnitStats.from_scores(1, scores, households=100).mean
    after = UnitStats.from_scores(1, scores + [response_index({11: 5, 12: 5, 21: 5, 31: 5}, DIMS)],
                                  households=100).mean
    assert after >= before - 1e-9


@settings(max_examples=80, deadline=None)
@given(st.lists(scores_st, min_size=2, max_size=6))
def test_shrunk_estimate_lies_between_raw_mean_and_scope_mean(groups):
    units = [UnitStats.from_scores(i, g, households=len(g) * 2, label=str(i)) for i, g in enumerate(groups)]
    r = rank_units(units, min_responses=2, min_coverage=0.0)
    for row in r.ranked:
        lo, hi = sorted((row.stats.mean, r.scope_mean))
        assert lo - 1e-9 <= row.shrunk <= hi + 1e-9


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 200)), min_size=1, max_size=8),
       st.integers(2, 15), st.floats(0, 1))
def test_a_unit_below_the_threshold_is_never_ranked(shapes, min_n, min_cov):
    units = [UnitStats.from_scores(i, [50.0 + (j % 7) for j in range(n)], households=max(n, hh))
             for i, (n, hh) in enumerate(shapes)]
    r = rank_units(units, min_responses=min_n, min_coverage=min_cov)
    for row in r.rows:
        below = row.stats.n < min_n or (row.stats.coverage or 0) < min_cov
        assert (row.rank is None) == below or (row.rank is None and row.stats.n < 2)
        assert eligibility(row.stats, min_n, min_cov) == row.reason


def test_worked_example_of_the_docs():
    jia = UnitStats.from_scores(1, [100] * 10 + [75] * 2, households=70, label="甲")
    yi = UnitStats.from_scores(2, [25] * 8, households=40, label="乙")
    bing = UnitStats.from_scores(3, [50, 60, 70], households=20, label="丙")
    assert round(jia.mean, 2) == 95.83 and round(math.sqrt(jia.variance), 2) == 9.73
    assert round(jia.std_error, 2) == 2.58
    assert (round(jia.interval[0], 1), jia.interval[1]) == (90.8, 100.0)
    assert yi.interval == (25.0, 25.0)
    r = rank_units([bing, yi, jia], min_responses=5, min_coverage=0.1)
    assert [(x.stats.label, x.rank, x.band) for x in r.ranked] == [("甲", 1, 1), ("乙", 2, 2)]
    assert [x.stats.label for x in r.unranked] == ["丙"] and "少于 5 份" in r.unranked[0].reason
