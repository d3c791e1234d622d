"""Pages that explain themselves: every chart says how to read it, the method's terms come with
plain words (术语说明 at the page's bottom), breadcrumbs navigate, generated text says a thing
once; and the benchmark page with its pickers and its workbook."""
import io
import re

import openpyxl
from sqlalchemy import select

from survey_app.domain.stats.glossary import GLOSSARY
from survey_app.domain.xlsx.benchmarks import HEADERS
from survey_app.models import AuditEvent

from ..factories import answer, households_of
from .test_overview import _answers




def _glossary(page: str) -> dict[str, str]:
    """The page's 术语说明 footnotes: {key: the term's name}."""
    assert '<section class="glossary"' in page and "术语说明" in page
    notes = page[page.index('<section class="glossary"'):]
    return dict(re.findall(r'<dt id="term-([a-z_]+)">([^<]+)</dt><dd>[^<]+</dd>', notes))


def _explained(page: str, *keys: str) -> None:
    """Every term the page marks has its footnote, with its plain words; `keys` are among them."""
    notes = _glossary(page)
    marked = set(re.findall(r'href="#term-([a-z_]+)"', page))
    assert marked == set(notes), (marked, notes)
    assert set(keys) <= marked, set(keys) - marked
    for key in marked:
        assert notes[key] == str(GLOSSARY[key].name)
        assert f'title="{GLOSSARY[key].plain}"' in page  # the tooltip where the term stands


def _charts_read(page: str, charts: int) -> None:
    """One reading line per chart (a chart of the page: an SVG with text, or a table's interval column)."""
    lines = re.findall(r'<p class="chart-how">读图：[^<]{10,}</p>', page)
    assert len(lines) == charts, lines
    for size in re.findall(r'font-size="([0-9.]+)"', page):
        assert float(size) >= 12, size


def test_overview_charts_and_terms_explain_themselves(client, world, login):
    _answers(world)
    login("city")
    page = client.get("/office/overview/").data.decode()
    _charts_read(page, 2)  # the districts' interval column, the companies' forest chart
    _explained(page, "index", "satisfaction_rate", "sample", "coverage", "interval", "shrunk", "band")
    assert "95%区间" in _glossary(page).values()
    comp = client.get(f"/office/overview/compound/{world.k1.id}").data.decode()
    _charts_read(comp, 1)
    _explained(comp, "interval", "satisfaction_rate")


def test_ranking_page_explains_itself(client, world, login):
    _answers(world)
    login("city")
    page = client.get("/office/ranking").data.decode()
    _charts_read(page, 1)
    _explained(page, "eligible", "band", "index", "interval", "sample", "coverage", "shrunk")


def test_a_reason_not_to_rank_is_said_once(client, world, login):
    for h in households_of(world.k1)[:3]:
        answer(world.campaign, h, 5)
    login("street1")
    page = client.get("/office/ranking").data.decode()
    section = page[page.index("未达到排名条件的企业"):]
    section = section[:section.index("</table>")]
    heading, rows = section.split("</h2>", 1)
    assert "样本不足" not in heading and "不参与排名" not in heading
    unranked = re.findall(r'<tr class="unranked">.*?</tr>', rows)
    assert len(unranked) == 2  # 甲 with 3 answers (withheld: fewer than 5), 乙 with none
    for row in unranked:
        assert row.count("样本不足") == 1, row  # the reason, said once


def test_company_page_explains_its_charts_and_terms(client, world, login):
    _answers(world)
    login("company1")
    page = client.get("/company/").data.decode()
    _charts_read(page, 2)  # its interval, the dimensions against the city
    _explained(page, "index", "sample", "coverage", "interval", "band", "satisfaction_rate")
    assert '<div class="table-scroll"><svg class="dimchart"' in page  # drawn at its width, scrolled on a phone


def test_area_breadcrumbs_link_every_level_but_the_page(client, world, login):
    _answers(world)
    login("city")
    street = client.get(f"/office/overview/?area=street:{world.s1.id}").data.decode()
    crumbs = street[street.index('<p class="crumbs">'):]
    crumbs = crumbs[:crumbs.index("</p>")]
    assert 'href="/office/overview/?campaign=' in crumbs
    assert f"area=district:{world.east.id}" in crumbs and ">东城区</a>" in crumbs
    assert '<span aria-current="page">东城区 文化路街道</span>' in crumbs
    bench = client.get(f"/office/overview/benchmarks?area=street:{world.s1.id}").data.decode()
    crumbs = bench[bench.index('<p class="crumbs">'):]
    crumbs = crumbs[:crumbs.index("</p>")]
    assert f"area=street:{world.s1.id}" in crumbs and ">东城区 文化路街道</a>" in crumbs
    assert '<span aria-current="page">标杆企业候选</span>' in crumbs
    for href in re.findall(r'href="([^"]+)"', crumbs):
        assert client.get(href.replace("&amp;", "&")).status_code == 200, href
    login("street1")
    own = client.get("/office/overview/").data.decode()
    assert '<p class="crumbs"><span aria-current="page">辖区总览</span></p>' in own


def _page_rows(page: str) -> list[tuple[str, str, str, str]]:
    """(名次, 等级组, 企业, 是否符合) of the benchmark page's table."""
    body = page[page.index('<table class="data benchmarks">'):]
    body = body[:body.index("</table>")]
    rows = re.findall(r'<tr class="(ok|unranked)"><td class="n">([^<]*)</td><td class="n">([^<]*)</td><td>([^<]*)</td>',
                      body)
    return [(rank, band, name, "符合" if cls == "ok" else "不符合") for cls, rank, band, name in rows]


def test_benchmark_page_has_pickers_and_the_same_figures_as_a_workbook(client, world, login, db):
    _answers(world)
    login("city")
    page = client.get(f"/office/overview/benchmarks?campaign={world.campaign.id}").data.decode()
    assert '<select name="campaign">' in page and '<select name="area">' in page
    assert f'value="street:{world.s1.id}"' in page
    _explained(page, "band", "index", "sample", "coverage")
    link = re.search(r'href="(/office/overview/benchmarks\.xlsx[^"]*)"', page).group(1).replace("&amp;", "&")
    shown = _page_rows(page)
    assert shown and shown[0][2] == "甲物业服务有限公司"

    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    resp = client.get(link)
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["标杆企业候选"]
    assert ws["A1"].value == "标杆企业候选"
    assert "范围：全市" in ws["A2"].value and f"测评活动：{world.campaign.name}" in ws["A2"].value
    assert "制表日期：" in ws["A3"].value and "制表单位：全市" in ws["A3"].value
    header = [c.value for c in ws[5]]
    assert header == HEADERS
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=6) if r[2].value]
    assert [(str(r[0] or "—"), str(r[1] or "—"), r[2], r[10]) for r in rows] == shown
    first = rows[0]
    assert isinstance(first[3], float) and first[4] == 18 and 0 < first[5] <= 1  # numbers stay numbers
    assert "说明" in wb.sheetnames
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [(e.action, e.actor) for e in events] == [("export.benchmarks", "city")]


def test_benchmark_workbook_follows_the_area_picked(client, world, login):
    _answers(world)
    login("street1")
    resp = client.get("/office/overview/benchmarks.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data))["标杆企业候选"]
    assert "文化路街道" in ws["A2"].value
    names = {r[2].value for r in ws.iter_rows(min_row=6)}
    assert "丙物业服务有限公司" not in names  # 御景华庭 lies in another district
    assert client.get(f"/office/overview/benchmarks.xlsx?area=street:{world.s3.id}").status_code == 403
