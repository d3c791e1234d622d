"""The officer dashboard: drill-down, charts, held responses, benchmark candidates."""
from datetime import timedelta

from sqlalchemy import select

from survey_app.domain.responses import totals
from survey_app.domain.clock import now
from survey_app.domain.responses.survey import dimension_specs
from survey_app.models import RectificationItem, Response

from ..factories import answer, households_of


def _answers(world):
    for h in households_of(world.k1)[:10]:
        answer(world.campaign, h, 5)
    for h in households_of(world.k2)[:10]:
        answer(world.campaign, h, 2)
    for h in households_of(world.k3)[:8]:
        answer(world.campaign, h, 4)
    for h in households_of(world.k4)[:6]:
        answer(world.campaign, h, 3)


def test_city_overview_drills_down_to_dimensions(client, world, login):
    _answers(world)
    login("city")
    page = client.get("/office/overview/").data.decode()
    assert "下辖各区" in page and "东城区" in page and "西城区" in page
    assert '<svg class="forest"' in page and "企业 × 维度" in page and "环境卫生" in page
    district = client.get(f"/office/overview/?area=district:{world.east.id}").data.decode()
    assert "下辖各街道" in district and "文化路街道" in district and "龙山路街道" not in district
    street = client.get(f"/office/overview/?area=street:{world.s1.id}").data.decode()
    assert "下辖各小区" in street and f"/office/overview/compound/{world.k1.id}" in street
    comp = client.get(f"/office/overview/compound/{world.k1.id}").data.decode()
    assert "各维度得分" in comp and "100.0" in comp


def test_overview_is_scoped(client, world, login):
    login("street1")
    assert client.get(f"/office/overview/?area=street:{world.s3.id}").status_code == 403
    assert client.get(f"/office/overview/compound/{world.k4.id}").status_code == 404
    page = client.get("/office/overview/").data.decode()
    assert "金色花园" in page and "御景华庭" not in page


def test_figures_with_and_without_held_responses(client, world, login, db):
    _answers(world)
    for r in db.session.scalars(select(Response).where(Response.compound_id == world.k2.id)):
        totals.set_status(r, "held", dimension_specs(world.campaign))
    db.session.commit()
    login("street1")
    without = client.get("/office/overview/").data.decode()
    assert "含待复核答卷（10 份）" in without and "碧水家园" in without
    row = without[without.index(">碧水家园<"):without.index("</tr>", without.index(">碧水家园<"))]
    assert "样本不足" in row
    held = client.get("/office/overview/?held=1").data.decode()
    row = held[held.index(">碧水家园<"):held.index("</tr>", held.index(">碧水家园<"))]
    assert "25.0" in row and "待复核的答卷" in held


def test_benchmark_candidates_and_reasons(client, world, login, db):
    _answers(world)
    db.session.add(RectificationItem(campaign_id=world.campaign.id, compound_id=world.k1.id, company_id=world.c1.id,
                                     category="环境卫生", category_key="cleaning", evidence="x",
                                     deadline=(now() - timedelta(days=1)).date(), status="assigned", created_at=now()))
    db.session.commit()
    login("city")
    page = client.get("/office/overview/benchmarks").data.decode()
    assert "甲物业服务有限公司" in page and "有 1 条逾期未完成的整改事项" in page
    assert "已逾期" in client.get("/rectification/").data.decode()
    from survey_app.domain.stats import benchmark
    from survey_app.access import Area

    cands = benchmark.candidates(world.campaign, Area("city"))
    top = cands[0]
    assert top.row.stats.label == "甲物业服务有限公司" and not top.qualifies
    assert all(c.qualifies == (c.row.band == 1 and not c.overdue and c.row.eligible) for c in cands)
