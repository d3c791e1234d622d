"""The overview lists a street's compounds 50 a page; districts and streets are listed whole."""
import re

from ..factories import many_compounds


def _names(page: str) -> list[str]:
    return re.findall(r">(测试小区\d+)</a>", page)


def test_a_streets_page_two_shows_the_next_compounds(client, world, login):
    names = many_compounds(world)
    login("city")
    url = f"/office/overview/?campaign={world.campaign.id}&area=street:{world.s1.id}"
    first, second = client.get(url).data.decode(), client.get(url + "&page=2").data.decode()
    table = first[first.index('id="children"'):first.index('class="pager"')]
    assert table.count("overview/compound/") == 50  # 62 compounds: 50 on page 1, 12 on page 2
    one, two = _names(first), _names(second)
    assert two and not set(one) & set(two) and set(one) | set(two) == names
    assert "第 2 / 2 页" in second and f"area=street:{world.s1.id}" in first[first.index('class="pager"'):]
    city = client.get("/office/overview/").data.decode()
    assert "东城区" in city and 'class="pager"' not in city


def test_the_ranked_companies_are_shown_a_page_at_a_time(client, world, login, monkeypatch):
    """A city has hundreds of companies: the band chart and company × dimension table show one page."""
    from survey_app.web import overview

    from .test_overview import _answers

    _answers(world)
    monkeypatch.setattr(overview, "COMPANIES_PER_PAGE", 1)
    login("city")
    first = client.get("/office/overview/").data.decode()
    second = client.get("/office/overview/?companies=2").data.decode()

    def shown(page):  # the companies named in the chart, and in the company × dimension table
        chart = re.findall(r'class="lbl">\d+\. ([^<]+)</text>', page)
        table = page[page.index("企业 × 维度"):]
        return chart, re.findall(r"<tr><td>\d+\. ([^<]+)</td>", table)

    (chart1, table1), (chart2, table2) = shown(first), shown(second)
    assert len(chart1) == 1 and chart1 == table1 and len(chart2) == 1 and chart2 == table2
    assert chart1 != chart2
    assert "本页为第 1–1 名" in first and "companies=2#companies" in first
    assert "companies=1#companies" in second
    assert client.get("/office/overview/?companies=x").status_code == 400
