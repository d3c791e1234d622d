import pytest

from survey_app.domain.stats.privacy import mask


@pytest.mark.parametrize("text, hidden, marker", [
    ("物业电话打不通，我的手机13812345678", "13812345678", "[手机号已隐藏]"),
    ("手机 138 1234 5678 请回电", "1234 5678", "[手机号已隐藏]"),
    ("全角号码１３９１２３４５６７８", "１３９", "[手机号已隐藏]"),
    ("身份证370402199001011234", "370402199001011234", "[身份证号已隐藏]"),
    ("座机0632-1234567", "1234567", "[电话已隐藏]"),
    ("邮箱 zhang.san@example.com", "zhang.san@example.com", "[邮箱已隐藏]"),
    ("加我微信：zhangsan_88", "zhangsan_88", "[联系方式已隐藏]"),
    ("我住3号楼2单元502室，楼道灯坏了", "502", "[门牌已隐藏]"),
    ("1201室漏水", "1201", "[门牌已隐藏]"),
])
def test_contact_details_and_doors_are_masked(text, hidden, marker):
    out = mask(text)
    assert hidden not in out and marker in out


def test_ordinary_text_is_kept():
    text = "垃圾清运不及时，希望每天清两次；停车位不够，晚上8点以后很乱。"
    assert mask(text) == text


def test_a_guarded_group_under_five_has_counts_but_no_figures():
    from survey_app.domain.stats.privacy import MIN_GROUP, guard, shown
    from survey_app.domain.stats.scoring import UnitStats

    few = guard(UnitStats.from_scores(1, [40, 60, 80, 90], households=10, overall=[5, 4, 2, 1]))
    assert few.withheld and not shown(few)
    assert few.mean is None and few.interval is None and few.std_error is None and few.satisfaction_rate is None
    assert few.n == 4 and few.households == 10 and few.coverage == 0.4  # counts are not answers
    enough = guard(UnitStats.from_scores(1, [40, 60, 80, 90, 70], households=10, overall=[5, 4, 2, 1, 4]))
    assert enough.n == MIN_GROUP and not enough.withheld and shown(enough)
    assert enough.mean == 68.0 and enough.interval is not None and enough.satisfaction_rate == 0.6
    plain = UnitStats.from_scores(1, [40, 60], households=10)  # arithmetic, not a page's figure
    assert not plain.withheld and plain.mean == 50.0


def test_a_guarded_unit_under_five_is_not_ranked_and_hides_the_scope_mean(app):
    from survey_app.domain.stats.privacy import guard
    from survey_app.domain.stats.ranking import rank_units
    from survey_app.domain.stats.scoring import UnitStats

    units = [guard(UnitStats.from_scores(1, [90, 95, 100], households=10, label="few")),
             guard(UnitStats.from_scores(2, [50], households=10, label="one"))]
    with app.test_request_context():
        ranking = rank_units(units, min_responses=2, min_coverage=0.0)
        assert not ranking.ranked and ranking.scope_mean is None
        assert all(r.reason == "样本不足 5 份，不显示" for r in ranking.rows)
        units.append(guard(UnitStats.from_scores(3, [60, 70, 80, 70, 60], households=10, label="ok")))
        ranking = rank_units(units, min_responses=2, min_coverage=0.0)
        assert [r.stats.label for r in ranking.ranked] == ["ok"] and ranking.scope_mean is not None
