"""The overview lists a street's compounds 50 a page; districts and streets are listed whole."""
import re

from survey_app.extensions import db

from ..factories import add_compound


def _names(page: str) -> list[str]:
    return re.findall(r">(测试小区\d+)</a>", page)


def test_a_streets_page_two_shows_the_next_compounds(client, world, login):
    for i in range(60):
        add_compound(world.k1.community, f"测试小区{i:02d}", world.c1, 1)
    db.session.commit()
    login("city")
    url = f"/office/overview/?campaign={world.campaign.id}&area=street:{world.s1.id}"
    first, second = client.get(url).data.decode(), client.get(url + "&page=2").data.decode()
    table = first[first.index('id="children"'):first.index('class="pager"')]
    assert table.count("overview/compound/") == 50  # 62 compounds: 50 on page 1, 12 on page 2
    one, two = _names(first), _names(second)
    assert two and not set(one) & set(two) and set(one) | set(two) == {f"测试小区{i:02d}" for i in range(60)}
    assert "第 2 / 2 页" in second and f"area=street:{world.s1.id}" in first[first.index('class="pager"'):]
    city = client.get("/office/overview/").data.decode()
    assert "东城区" in city and 'class="pager"' not in city
