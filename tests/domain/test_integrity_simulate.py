"""`flask integrity simulate` on the demo city: every scenario meets the aim, the table is printed,
the database is left as it was; a detector switched off makes a scenario fail and the command exit 1."""
from sqlalchemy import func, select

from survey_app.models import Campaign, Response
from survey_app.models.totals import DimensionTotal

SCENARIOS = ("对照：整小区走访晚上同一运营商地址作答", "物业员工三部手机代填 15% 住户", "同一地址连续作答（清除 Cookie）",
             "极速作答", "复制粘贴同一意见", "网格员独自“协助填写”")


def _state(db) -> dict:
    """Every table's row count, the responses by status, the totals' sums and the campaign's salt."""
    state = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
    state["statuses"] = sorted(db.session.execute(select(Response.status, func.count())
                                                  .group_by(Response.status)).all())
    state["totals"] = db.session.execute(select(func.sum(DimensionTotal.n), func.round(func.sum(DimensionTotal.total)),
                                                func.sum(DimensionTotal.satisfied))).one()
    state["salt"] = db.session.scalar(select(Campaign.signal_salt))
    state["last response"] = db.session.scalar(select(func.max(Response.id)))
    return state


def _row(output: str, scenario: str) -> list[str]:
    line = next(x for x in output.splitlines() if x.startswith(f"| {scenario} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_every_scenario_meets_the_aim_and_the_database_is_left_unchanged(app, db, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    db.session.remove()
    before = _state(db)
    assert before["response_signals"] > 0  # the demo's own story: a company's staff held for review
    out = runner.invoke(args=["integrity", "simulate", "--seed", "3"])
    assert out.exit_code == 0, out.output
    assert "全部场景通过" in out.output and "未通过" not in out.output
    for scenario in SCENARIOS:
        cells = _row(out.output, scenario)
        assert cells[-1] == "通过", cells
        held = float(cells[2].rstrip("%"))
        assert held >= 95.0 if scenario != SCENARIOS[0] else held <= 2.0
        assert cells[7] == cells[6]  # the favoured company's published band is the one it had before
    staff = _row(out.output, SCENARIOS[1])
    assert int(staff[1]) > 100  # 15% of a company's households
    db.session.remove()
    assert _state(db) == before


def test_a_detector_switched_off_fails_its_scenario_and_the_command_exits_non_zero(app, db, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    db.session.remove()
    before = _state(db)
    app.config["INTEGRITY_SPEED_SHARE"] = 0.0  # nothing is ever too fast
    out = runner.invoke(args=["integrity", "simulate"])
    assert out.exit_code == 1
    assert _row(out.output, "极速作答")[-1] == "未通过"
    assert _row(out.output, "物业员工三部手机代填 15% 住户")[-1] == "通过"
    assert "有场景未达到目标" in out.stderr
    db.session.remove()
    assert _state(db) == before
