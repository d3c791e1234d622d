"""The rectification loop on the overview (整改闭环, 整改成效), the benchmarks page and the ranking workbook."""
import io
import re
from datetime import timedelta

import openpyxl
from sqlalchemy import event

from survey_app.domain.campaigns import lifecycle as camp
from survey_app.domain.clock import now
from survey_app.domain.stats.rounds import ItemScore
from survey_app.models import RectificationItem

from ..factories import answer, households_of
from ..sheets import header_row, table


def _item(db, world, compound, key, status, *, assigned_days_ago=None, started_after=None, deadline_in=None,
          campaign=None, dimension_id=None):
    t0 = now() - timedelta(days=assigned_days_ago) if assigned_days_ago is not None else None
    it = RectificationItem(campaign_id=(campaign or world.campaign).id, compound_id=compound.id,
                           company_id=compound.company_id, category_key=key, category=key, evidence="x",
                           status=status, created_at=now() - timedelta(days=40), assigned_at=t0,
                           started_at=t0 + timedelta(days=started_after) if started_after is not None else None,
                           deadline=(now() + timedelta(days=deadline_in)).date() if deadline_in is not None else None,
                           dimension_id=dimension_id)
    db.session.add(it)
    return it


def _items(db, world):
    # 文化路街道: k1 (甲) verified after starting in two days, k2 (乙) overdue and never started.
    _item(db, world, world.k1, "a", "verified", assigned_days_ago=30, started_after=2)
    _item(db, world, world.k2, "b", "assigned", assigned_days_ago=30, deadline_in=-3)
    # 光明路街道: k3 (甲) closed without a fix, started late.
    _item(db, world, world.k3, "c", "closed", assigned_days_ago=30, started_after=12)
    # 龙山路街道 (西城区): k4 (丙), outside the district officer's scope.
    _item(db, world, world.k4, "d", "assigned", assigned_days_ago=30, deadline_in=-1)
    db.session.commit()


def _section(page: str, title: str) -> str:
    start = page.index(f">{title}</h2>")
    end = page.find("<h2", start)
    return page[start:end if end > 0 else len(page)]


def _row(section: str, label: str) -> str:
    start = section.index(f"<td>{label}</td>")
    return section[start:section.index("</tr>", start)]


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_district_overview_shows_the_loop_per_street_within_its_scope(client, world, login, db):
    _items(db, world)
    login("district")
    loop = _section(client.get("/office/overview/").data.decode(), "整改闭环")
    assert "龙山路街道" not in loop
    # items, handed, started in time, verified, closed, confirmed, overdue, missed
    assert _cells(_row(loop, "文化路街道"))[1:] == ["2", "2", "50.0% 1/2", "50.0% 1/2", "0", "—", "1", "1"]
    assert _cells(_row(loop, "光明路街道"))[1:] == ["1", "1", "0.0% 0/1", "0.0% 0/1", "1", "—", "0", "0"]
    assert _cells(_row(loop, "合计"))[1:4] == ["3", "3", "33.3% 1/3"]
    # Outside the district: refused, as every overview of another area.
    assert client.get(f"/office/overview/?area=street:{world.s3.id}").status_code == 403


def test_street_overview_shows_the_loop_per_company(client, world, login, db):
    _items(db, world)
    login("street1")
    loop = _section(client.get("/office/overview/").data.decode(), "整改闭环")
    assert "丙物业服务有限公司" not in loop
    assert _cells(_row(loop, "甲物业服务有限公司"))[1:5] == ["1", "1", "100.0% 1/1", "100.0% 1/1"]
    assert _cells(_row(loop, "乙物业服务有限公司"))[-2:] == ["1", "1"]
    assert "整改成效" not in client.get("/office/overview/").data.decode()  # the round is not a copy


def test_city_overview_without_items_says_so(client, world, login):
    login("city")
    assert "本轮暂无整改事项" in _section(client.get("/office/overview/").data.decode(), "整改闭环")


def test_benchmarks_show_the_loop_and_exclude_a_company_with_an_overdue_item(client, world, login, db):
    for compound, value in ((world.k1, 5), (world.k2, 2), (world.k3, 5), (world.k4, 3)):
        for h in households_of(compound)[:8]:
            answer(world.campaign, h, value)
    _items(db, world)
    login("city")
    page = client.get("/office/overview/benchmarks").data.decode()

    def row(label):
        start = page.rindex("<tr", 0, page.index(f"<td>{label}</td>"))
        return _cells(page[start:page.index("</tr>", start)])

    jia, yi = row("甲物业服务有限公司"), row("乙物业服务有限公司")
    # started in time, verified, confirmed, overdue, qualifies, reasons
    assert jia[-6:] == ["50.0% 1/2", "50.0% 1/2", "—", "0", "符合", ""]
    assert yi[-6:-2] == ["0.0% 0/1", "0.0% 0/1", "—", "1"] and yi[-2] == "不符合"
    assert "有 1 条逾期未完成的整改事项" in yi[-1]


def test_ranking_workbook_has_the_loop_sheet_with_numbers(client, world, login, db):
    _items(db, world)
    login("district")
    resp = client.get(f"/office/ranking.xlsx?area=district:{world.east.id}")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["整改闭环"]
    head, rows = table(ws, "物业服务企业")
    assert head[:6] == ["物业服务企业", "整改事项(件)", "已交办(件)", "应启动(件)", "按时启动(件)", "按时启动率"]
    rows = {r[0]: r for r in rows}
    assert set(rows) == {"甲物业服务有限公司", "乙物业服务有限公司"}  # 丙 manages no compound of the district
    jia = rows["甲物业服务有限公司"]
    assert jia[1:5] == (2, 2, 2, 1) and jia[5] == 0.5 and jia[6] == 1 and jia[7] == 0.5 and jia[8] == 1
    assert jia[12:] == (0, 0)
    assert rows["乙物业服务有限公司"][12:] == (1, 1)
    top = header_row(ws, "物业服务企业")
    rate = ws.cell(row=top + 1, column=6)
    assert rate.data_type == "n" and rate.number_format == "0.0%"
    _, methods = table(wb["方法说明"], "项目")
    assert any(r[0] == "整改闭环·按时启动率" and "7 天" in r[1] for r in methods)


def test_street_page_shows_what_the_previous_rounds_items_did(client, world, login, db):
    first = world.campaign
    k1, k2 = households_of(world.k1), households_of(world.k2)
    for h in k1[:6]:
        answer(first, h, 2)
    for h in k2[:6]:
        answer(first, h, 3)
    dims = {d.key: d.id for d in first.dimensions}
    _item(db, world, world.k1, "cleaning", "verified", assigned_days_ago=30, dimension_id=dims["cleaning"])
    _item(db, world, world.k2, "cleaning", "closed", assigned_days_ago=30, dimension_id=dims["cleaning"])
    _item(db, world, world.k2, "other", "assigned", assigned_days_ago=30)
    camp.transition(first, "closed")
    db.session.commit()
    second = camp.copy_round(first, "第二轮", now() - timedelta(hours=1), now() + timedelta(days=10))
    db.session.flush()
    camp.transition(second, "open")
    db.session.commit()
    for h in k1[:6]:
        answer(second, h, 4)
    for h in k2[:6]:
        answer(second, h, 2)
    login("street1")
    page = client.get(f"/office/overview/?campaign={second.id}").data.decode()
    effect = _section(page, "整改成效")
    assert "共提出 3 条整改事项，其中 1 条已整改并核验通过，2 条未整改（其中关闭未整改 1 条）" in effect
    assert "已整改的事项：相应维度得分较上轮平均变化 +50.0 分（1 条可比较）" in effect
    assert "未整改的事项：相应维度得分较上轮平均变化 -25.0 分（1 条可比较）" in effect
    assert '<svg class="effect"' in effect
    # The district's page has the loop per street and no such section.
    login("district")
    assert "整改成效" not in client.get(f"/office/overview/?campaign={second.id}").data.decode()


def test_the_item_page_macro_shows_both_rounds_and_the_change(app):
    macro = app.jinja_env.get_template("overview/_loop.html").module.round_scores
    with app.test_request_context():
        shown = re.sub(r"<[^>]+>", "", str(macro(ItemScore(25.0, 75.0))))
        assert "提出时 25.0 分" in shown and "下一轮 75.0 分" in shown and "+50.0" in shown
        assert "提出时 25.0 分 → 下一轮暂无得分" in re.sub(r"<[^>]+>", "", str(macro(ItemScore(25.0, None))))
        assert re.sub(r"<[^>]+>", "", str(macro(ItemScore(None, None)))).strip() == "—"


def test_the_loop_costs_the_overview_the_same_queries_for_many_items(client, world, login, db):
    _items(db, world)
    login("street1")
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get("/office/overview/")
        few = len(statements)
        for i in range(20):
            _item(db, world, world.k1 if i % 2 else world.k2, f"x{i}", "in_progress", assigned_days_ago=3,
                  started_after=1, deadline_in=-1)
        db.session.commit()
        statements.clear()
        page = client.get("/office/overview/").data.decode()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == few
    assert _cells(_row(_section(page, "整改闭环"), "乙物业服务有限公司"))[-2:] == ["11", "11"]
