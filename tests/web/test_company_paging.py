"""The company page at city scale: compounds 50 a page, a masked sample of the comments with the full
count, the most urgent rectification items with a link to the list filtered to the company."""
import re
from datetime import timedelta

from survey_app.domain.clock import now
from survey_app.extensions import db
from survey_app.models import RectificationItem
from survey_app.web import company as company_view

from ..factories import answer, households_of, many_compounds


def _names(page: str) -> list[str]:
    return re.findall(r"<td>(测试小区\d+)</td>", page)


def test_page_two_shows_the_next_compounds(client, world, login):
    names = many_compounds(world)
    login("company1")
    first = client.get(f"/company/?campaign={world.campaign.id}").data.decode()
    second = client.get(f"/company/?campaign={world.campaign.id}&page=2").data.decode()
    one, two = _names(first), _names(second)
    table = first[first.index('id="compounds"'):first.index('class="pager"')]
    assert table.count("<tr><td>") == 50  # 62 compounds: 50 on page 1, 12 on page 2
    assert two and not set(one) & set(two)
    assert set(one) | set(two) == names
    assert "page=2" in first and "第 1 / 2 页" in first and "第 2 / 2 页" in second


def test_the_compound_by_dimension_table_follows_the_page(client, world, login, monkeypatch):
    monkeypatch.setattr(company_view, "COMPOUNDS_PER_PAGE", 1)
    for compound, value in ((world.k1, 5), (world.k3, 2)):  # company 1's two compounds
        for h in households_of(compound)[:5]:
            answer(world.campaign, h, value)
    login("company1")

    def heat_rows(page):
        table = page[page.index("小区 × 维度"):]
        return re.findall(r"<tr><td>([^<]+)</td>", table[:table.index("</table>")])

    pages = [client.get(f"/company/?page={n}").data.decode() for n in (1, 2)]
    assert [heat_rows(p) for p in pages] == [["金色花园"], ["翡翠名苑"]]  # as the compounds' table, one a page
    assert "100.0" in pages[0].split("小区 × 维度")[1] and "100.0" not in pages[1].split("小区 × 维度")[1]


def test_comment_sample_is_masked_and_the_count_is_all_of_them(client, world, login, monkeypatch):
    monkeypatch.setattr(company_view, "COMMENTS_SHOWN", 4)
    for n, h in enumerate(households_of(world.k1)[:6]):
        answer(world.campaign, h, 4, comment=f"第{n}条 楼道灯坏了，请联系13812345678")
    for h in households_of(world.k3)[:3]:  # too few responses: neither shown nor counted
        answer(world.campaign, h, 2, comment="翡翠名苑的秘密意见")
    login("company1")
    page = client.get("/company/").data.decode()
    assert "住户意见建议 <small class=\"muted\">（6）</small>" in page
    assert page.count("楼道灯坏了") == 4 and page.count("[手机号已隐藏]") == 4
    assert "13812345678" not in page and "秘密意见" not in page
    assert "此处显示 4 条" in page


def test_items_are_counted_and_link_to_the_list_filtered_to_the_company(client, world, login, monkeypatch):
    monkeypatch.setattr(company_view, "ITEMS_SHOWN", 2)
    today = now().date()
    items = [(world.k1, 5, "assigned"), (world.k3, -3, "assigned"), (world.k1, 30, "assigned"),
             (world.k2, -9, "assigned"), (world.k1, -20, "closed")]
    for n, (compound, days, status) in enumerate(items):
        db.session.add(RectificationItem(
            campaign_id=world.campaign.id, compound_id=compound.id, company_id=compound.company_id,
            category=f"类别{n}", category_key=f"cat{n}", evidence="测试", deadline=today + timedelta(days=days),
            status=status, created_at=now()))
    db.session.commit()
    login("company1")
    page = client.get(f"/company/?campaign={world.campaign.id}").data.decode()
    # the two most urgent of the four it holds (a closed item is not urgent, however old its deadline)
    assert "类别1" in page and "类别0" in page and "类别2" not in page and "类别4" not in page
    assert "类别3" not in page  # another company's
    assert "已逾期 1" in page
    link = re.search(r'href="(/rectification/\?[^"]*)"', page).group(1).replace("&amp;", "&")
    assert f"company={world.c1.id}" in link
    listed = client.get(link).data.decode()
    assert "类别2" in listed and "类别3" not in listed
