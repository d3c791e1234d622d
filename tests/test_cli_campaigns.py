"""`flask campaign ...`: list, open, close, copy, questionnaire export/import, compare."""
from datetime import timedelta

import openpyxl
from sqlalchemy import select

from survey_app.domain.clock import now

from survey_app.models import Campaign

from .factories import answer, households_of


def test_campaign_commands_run_a_round_end_to_end(runner, world, db, tmp_path):
    cid = world.campaign.id
    res = runner.invoke(args=["campaign", "list"])
    assert res.exit_code == 0 and "2026年测试测评" in res.output and "进行中" in res.output
    res = runner.invoke(args=["campaign", "open", str(cid)])
    assert res.exit_code != 0 and "已经是“进行中”" in res.output
    for i, h in enumerate(households_of(world.k1)[:10]):
        answer(world.campaign, h, value=2 + i % 2)
    res = runner.invoke(args=["campaign", "close", str(cid)], input="n\n")
    assert res.exit_code != 0 and db.session.get(Campaign, cid).status == "open"
    res = runner.invoke(args=["campaign", "close", str(cid), "--yes"])
    assert res.exit_code == 0 and "数据已冻结" in res.output
    opens = (now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")  # after round 1 opened: it follows it
    res = runner.invoke(args=["campaign", "copy", str(cid), "--name", "第二轮", "--opens", opens,
                              "--closes", "2099-01-01"])
    assert res.exit_code == 0, res.output
    new = db.session.scalar(select(Campaign).where(Campaign.name == "第二轮"))
    assert new.status == "draft" and new.copied_from_id == cid
    bad = runner.invoke(args=["campaign", "copy", str(cid), "--name", "x", "--opens", "tomorrow", "--closes", "2099-01-01"])
    assert bad.exit_code != 0 and "开始时间无效" in bad.output
    # Export, edit, import the questionnaire of the new round.
    out = tmp_path / "q.xlsx"
    res = runner.invoke(args=["campaign", "export-questionnaire", str(new.id), str(out)])
    assert res.exit_code == 0
    wb = openpyxl.load_workbook(out)
    wb["维度"].cell(2, 4).value = "zero"
    wb.save(out)
    res = runner.invoke(args=["campaign", "import-questionnaire", str(new.id), str(out)])
    assert res.exit_code == 1 and "「维度」表第 2 行「权重」列：权重必须是数字" in res.output
    wb["维度"].cell(2, 4).value = 0.2
    wb.save(out)
    res = runner.invoke(args=["campaign", "import-questionnaire", str(new.id), str(out), "--dry-run"])
    assert res.exit_code == 0 and "试运行" in res.output
    assert db.session.get(Campaign, new.id).dimensions[0].weight == 0.12
    res = runner.invoke(args=["campaign", "import-questionnaire", str(new.id), str(out)])
    assert res.exit_code == 0 and "导入完成" in res.output
    db.session.expire_all()
    assert db.session.get(Campaign, new.id).dimensions[0].weight == 0.2
    res = runner.invoke(args=["campaign", "open", str(new.id)])
    assert res.exit_code == 0 and "已开启" in res.output
    for h in households_of(world.k1)[:10]:
        answer(db.session.get(Campaign, new.id), h, value=5)
    res = runner.invoke(args=["campaign", "compare", str(new.id), "--compound", str(world.k1.id)])
    assert res.exit_code == 0 and "上一轮" in res.output and "↑ 超出误差" in res.output
    res = runner.invoke(args=["campaign", "compare", str(new.id), "--company", str(world.c1.id)])
    assert res.exit_code == 0 and "满意度指数" in res.output
    assert runner.invoke(args=["campaign", "compare", str(new.id)]).exit_code != 0
    assert "没有编号为 999 的测评活动" in runner.invoke(args=["campaign", "open", "999"]).output
