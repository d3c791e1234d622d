"""Held and rejected responses never reach a published figure or export; officers who may review
responses can switch the ranking page, the overview and the ranking workbook to count the held
ones (never the rejected); companies and grid workers cannot.

The method: a world where every compound has enough published responses, plus held and rejected
ones answering very differently (lowest scores, their own comments and ticks). Every page and
workbook is read; then the held and rejected responses are deleted and everything is read again:
apart from the held-count badge of the switch, nothing may differ.
"""
import io
import re
from datetime import datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from survey_app.domain.campaigns import lifecycle as camp
from survey_app.domain.clock import now
from survey_app.domain.rectification import rules
from survey_app.domain.responses import coverage, totals
from survey_app.domain.responses.survey import dimension_specs, parse_form, save_response
from survey_app.extensions import db
from survey_app.models import Campaign, Household, RectificationItem, Response, User

from ..factories import PASSWORD, form_for, households_of
from ..sheets import header_row, table, title_block

HELD_WORDS = ("待复核", "已驳回")  # every held or rejected comment says one of these


def _respond(campaign, household, value, comment=None, ticks=(), status="published", assisted_by=None):
    """A response answering every 5-point question `value`, ticking `ticks` of "which most need
    improving?", then moved to `status` through the maintained totals (as a review would)."""
    form = MultiDict(form_for(campaign, str(value)))
    improve = next(q for q in campaign.questions if q.kind == "multi")
    form.setlist(f"q{improve.id}", list(ticks))
    if comment:
        form["comment"] = comment
    mode = "assisted" if assisted_by else "self"
    resp = save_response(campaign, household.id, parse_form(campaign, form), mode=mode,
                         assisted_by_id=assisted_by.id if assisted_by else None)
    if status != "published":
        totals.set_status(resp, status, dimension_specs(campaign))
    db.session.commit()
    return resp


@pytest.fixture
def rounds(world):
    """Round 1: published responses in every compound, and held and rejected ones unlike them.

    金色花园 (甲): 8 published at 2 (low: items are raised, comments are samples), 4 held and 2
    rejected at 1 with their own comments (lower: they would be the first samples);
    碧水家园 (乙): 8 published at 5, 12 held and 6 rejected at 1 ticking 环境卫生 (counted, they
    would raise a low-score and a category item); 翡翠名苑 (甲): 6 published at 4, 2 held at 5
    (one assisted); 御景华庭 (丙): 5 published at 4, 3 rejected at 1.
    Round 2 (a copy, open): 金色花园 and 碧水家园 answer again, published, so it compares with round 1.
    """
    c = world.campaign
    grid = db.session.scalar(select(User).where(User.username == "grid1"))
    k1, k2, k3, k4 = (households_of(k) for k in (world.k1, world.k2, world.k3, world.k4))
    for i, h in enumerate(k1[:8]):
        _respond(c, h, 2, comment=f"金色花园意见{i}")
    for h in k1[8:12]:
        _respond(c, h, 1, comment="金色花园待复核意见", ticks=["security"], status="held")
    for h in k1[12:14]:
        _respond(c, h, 1, comment="金色花园已驳回意见", ticks=["security"], status="rejected")
    for h in k2[:8]:
        _respond(c, h, 5, comment="碧水家园意见")
    for h in k2[8:20]:
        _respond(c, h, 1, comment="碧水家园待复核意见", ticks=["cleaning"], status="held")
    for h in k2[20:26]:
        _respond(c, h, 1, comment="碧水家园已驳回意见", ticks=["cleaning"], status="rejected", assisted_by=grid)
    for h in k3[:6]:
        _respond(c, h, 4, comment="翡翠名苑意见")
    _respond(c, k3[6], 5, comment="翡翠名苑待复核意见", status="held", assisted_by=grid)
    _respond(c, k3[7], 5, comment="翡翠名苑待复核意见", status="held")
    for h in k4[:5]:
        _respond(c, h, 4, comment="御景华庭意见")
    for h in k4[5:8]:
        _respond(c, h, 1, comment="御景华庭已驳回意见", ticks=["parking"], status="rejected")
    camp.transition(c, "closed")
    db.session.commit()
    second = camp.copy_round(c, "第二轮", now() - timedelta(hours=1), now() + timedelta(days=10))
    camp.transition(second, "open")
    db.session.commit()
    for h in k1[:10]:
        _respond(second, h, 4)
    for h in k2[:10]:
        _respond(second, h, 3)
    return c, second


def _client(app, username):
    client = app.test_client()
    resp = client.post("/login", data={"username": username, "password": PASSWORD})
    assert resp.status_code == 302
    return client


def _urls(world, first, second):
    """(user, address) of every page and workbook showing published figures, for both rounds."""
    out = []
    for c in (first, second):
        q = f"campaign={c.id}"
        for area in ("city:", f"district:{world.east.id}", f"street:{world.s1.id}"):
            out += [("city", f"/office/overview/?{q}&area={area}"), ("city", f"/office/ranking?{q}&area={area}"),
                    ("city", f"/office/ranking.xlsx?{q}&area={area}"),
                    ("city", f"/office/overview/benchmarks?{q}&area={area}")]
        out += [("street1", f"/office/overview/?{q}"), ("street1", f"/office/ranking?{q}"),
                ("street1", f"/office/ranking.xlsx?{q}"), ("district", f"/office/participation?{q}"),
                ("city", f"/office/participation?{q}"), ("city", f"/office/comments?{q}"),
                ("city", f"/office/comments.xlsx?{q}"), ("street1", f"/office/comments.xlsx?{q}"),
                ("company1", f"/company/?{q}"), ("company1", f"/company/report.xlsx?{q}"),
                ("company2", f"/company/?{q}"), ("company2", f"/company/report.xlsx?{q}")]
        for k in (world.k1, world.k2, world.k3, world.k4):
            out += [("city", f"/office/overview/compound/{k.id}?{q}"), ("city", f"/office/compounds/{k.id}?{q}")]
    # Switches nobody may use are ignored: grid workers and companies get the published figures.
    out += [("grid1", f"/office/overview/?campaign={first.id}&held=1"),
            ("grid1", f"/office/ranking?campaign={first.id}&held=1"),
            ("grid1", f"/office/ranking.xlsx?campaign={first.id}&held=1"),
            ("company1", f"/company/?campaign={first.id}&held=1"),
            ("company2", f"/company/report.xlsx?campaign={first.id}&held=1")]
    return out


TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")
VOLATILE = [re.compile(r'<span class="held-count">[^<]*</span>'),  # the switch's badge: "含待复核答卷（N 份）"
            re.compile(r'name="csrf_token" value="[^"]*"'), re.compile(r'content="[^"]*" name="csrf-token"'),
            re.compile(r'name="csrf-token" content="[^"]*"'), TIME]


def _workbook(data: bytes) -> dict:
    """Every sheet's cell values, times of day left out (the workbook's making, not its figures)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = {}
    for ws in wb:
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append(tuple(TIME.sub("", v) if isinstance(v, str)
                              else v.date() if isinstance(v, datetime) else v for v in row))
        out[ws.title] = rows
    return out


def _read(app, urls) -> dict:
    clients, out = {}, {}
    for user, url in urls:
        client = clients.get(user) or clients.setdefault(user, _client(app, user))
        resp = client.get(url)
        assert resp.status_code == 200, (user, url, resp.status_code)
        if url.split("?")[0].endswith(".xlsx"):
            out[(user, url)] = _workbook(resp.data)
        else:
            page = resp.get_data(as_text=True)
            for pattern in VOLATILE:
                page = pattern.sub("", page)
            out[(user, url)] = page
    return out


def _generated(campaign) -> list[tuple]:
    """What the rectification rules raise (left unsaved): compound, category, source, figures, samples."""
    rules.generate(campaign)
    db.session.flush()
    items = sorted((i.compound.name, i.category_key, i.source, i.evidence, i.respondents, i.share, i.samples)
                   for i in db.session.scalars(select(RectificationItem)))
    db.session.rollback()
    return items


def _delete_unpublished(campaign) -> None:
    """The same world as if the held and rejected responses had never been given (the round is
    closed, so frozen: opened underneath for the deletion, closed again)."""
    dims = dimension_specs(campaign)
    frozen = update(Campaign).where(Campaign.id == campaign.id)
    db.session.execute(frozen.values(status="open"))
    for r in db.session.scalars(select(Response).where(Response.status != "published")).all():
        totals.remove(r, dims)
        db.session.delete(r)
    db.session.flush()
    db.session.execute(frozen.values(status="closed"))
    db.session.commit()


def test_held_and_rejected_responses_are_absent_from_every_published_figure(app, world, rounds):
    first, second = rounds
    urls = _urls(world, first, second)
    with_them = _read(app, urls)
    items = _generated(first)
    for key, content in with_them.items():
        assert not any(word in str(content) for word in ("金色花园待复核意见", "碧水家园待复核意见", "已驳回意见",
                                                      "翡翠名苑待复核意见")), key
    _delete_unpublished(first)
    assert _read(app, urls) == with_them
    assert _generated(first) == items
    # The rules raised items from the published answers only: 金色花园's low scores, with published
    # comments as samples; nothing for 碧水家园, whose held answers alone are low and tick 环境卫生.
    assert items and {name for name, *_ in items} == {"金色花园"}
    assert all(source == "low_score" and n == 8 and not any(w in samples for w in HELD_WORDS)
               for _, _, source, _, n, _, samples in items)
    assert "金色花园意见" in items[0][6]


def test_coverage_counts_published_responses_and_visits_skip_households_with_a_standing_answer(app, world, rounds):
    first, _ = rounds
    city = _client(app, "city")
    page = city.get(f"/office/participation?campaign={first.id}").get_data(as_text=True)
    row = page[page.index(">碧水家园<"):page.index("</tr>", page.index(">碧水家园<"))]
    # 40 households, 8 published: 20.0% (the 12 held and 6 rejected, 6 of them assisted, are not counted).
    assert "<td class=\"n\">8</td>" in row and "20.0%" in row and "0.0%" in row
    compound = city.get(f"/office/compounds/{world.k2.id}?campaign={first.id}").get_data(as_text=True)
    assert "<td class=\"n\">40</td><td class=\"n\">8</td>" in compound
    # The visits list: a household with a held response has answered, nobody visits it again; one
    # whose answer was rejected is visited again (it may answer with a re-issued code).
    pending = {h.id for h, _, _ in coverage.pending_households(first.id, Household.compound_id == world.k2.id)}
    assert pending == {h.id for h in households_of(world.k2)[20:]}
    assert [c.responses for c in coverage.building_coverage(first.id, True, world.k2.id)] == [20]


def _ranking_row(page: str, company: str) -> str:
    at = page.index(f"<td>{company}</td>")
    return page[at:page.index("</tr>", at)]


def test_officers_switch_to_figures_with_held_responses_never_rejected(app, world, rounds):
    first, _ = rounds
    q = f"campaign={first.id}&area=city:"
    city = _client(app, "city")
    published = city.get(f"/office/ranking?{q}").get_data(as_text=True)
    assert "含待复核答卷（18 份）" in published and 'name="held"' in published
    assert "当前数字仅统计已公布的答卷" in published and "仅供内部比较" not in published
    assert "<td class=\"n\">8</td>" in _ranking_row(published, "乙物业服务有限公司")  # 8 published
    held = city.get(f"/office/ranking?{q}&held=1").get_data(as_text=True)
    assert "仅供内部比较" in held and 'name="held" value="1" checked' in held
    assert 'value="city:" selected' in held  # the form keeps the other choices
    row = _ranking_row(held, "乙物业服务有限公司")
    assert "<td class=\"n\">20</td>" in row  # 8 published + 12 held; the 6 rejected never
    assert "held=1" in held[held.index("下载 Excel") - 300:held.index("下载 Excel")]
    # The overview counts the same, at every level.
    ov = city.get(f"/office/overview/?{q}&held=1").get_data(as_text=True)
    assert "仅供内部比较" in ov and "<small>总户数 130</small>" in ov
    kpi = ov[ov.index("有效样本"):ov.index("参评率")]
    assert "<strong>45</strong>" in kpi  # 27 published + 18 held (not the 11 rejected)
    street = city.get(f"/office/overview/?campaign={first.id}&area=street:{world.s1.id}&held=1").get_data(as_text=True)
    # 文化路街道 (金色花园, 碧水家园): 16 published + 16 held, not the 8 rejected.
    assert "<strong>32</strong>" in street[street.index("有效样本"):street.index("参评率")]
    # The workbook says in every title block that it counts them, and counts them.
    wb = openpyxl.load_workbook(io.BytesIO(city.get(f"/office/ranking.xlsx?{q}&held=1").data))
    for ws in wb:
        first_header = {"方法说明": "项目", "小区": "街道", "整改闭环": "物业服务企业"}.get(ws.title, "名次")
        assert any("含待复核答卷" in line for line in title_block(ws, header_row(ws, first_header))), ws.title
    _, rows = table(wb["企业排名"], "名次")
    assert {r[2]: r[7] for r in rows}["乙物业服务有限公司"] == 20
    _, methods = table(wb["方法说明"], "项目")
    assert "（18 份）" in dict(methods)["待复核答卷"]
    plain = openpyxl.load_workbook(io.BytesIO(city.get(f"/office/ranking.xlsx?{q}").data))
    ws = plain["企业排名"]
    assert not any("含待复核答卷" in line for line in title_block(ws, header_row(ws, "名次")))
    assert {r[2]: r[7] for r in table(ws, "名次")[1]}["乙物业服务有限公司"] == 8


def test_companies_and_grid_workers_cannot_switch(app, world, rounds):
    first, _ = rounds
    company = _client(app, "company2")
    assert company.get(f"/office/ranking?campaign={first.id}&held=1").status_code == 403
    assert company.get(f"/office/ranking.xlsx?campaign={first.id}&held=1").status_code == 403
    home = company.get(f"/company/?campaign={first.id}&held=1").get_data(as_text=True)
    assert "含待复核答卷" not in home and "碧水家园待复核意见" not in home
    grid = _client(app, "grid1")
    page = grid.get(f"/office/ranking?campaign={first.id}&held=1").get_data(as_text=True)
    assert 'name="held"' not in page and "当前数字仅统计已公布的答卷" in page and "仅供内部比较" not in page
    overview = grid.get(f"/office/overview/?campaign={first.id}&held=1").get_data(as_text=True)
    assert 'name="held"' not in overview and "仅供内部比较" not in overview
