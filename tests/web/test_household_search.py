"""住户查询: a household found by address or room, within the user's jurisdiction, paged, and hostile
input answered with a message (never a 500)."""
import pytest
from sqlalchemy import select

from survey_app.extensions import db as _db
from survey_app.models import Building, Household

from ..factories import answer


def _add(compound, building, unit, room, grid="一网格"):
    b = _db.session.scalar(select(Building).where(Building.compound_id == compound.id, Building.name == building))
    if b is None:
        b = Building(compound=compound, name=building, grid=grid)
        _db.session.add(b)
        _db.session.flush()
    h = Household(building=b, compound_id=compound.id, unit=unit, room=room)
    _db.session.add(h)
    _db.session.commit()
    return h


@pytest.fixture
def homes(world):
    """A 3-2-502 in 碧水家园 (文化路街道, 二网格), 金色花园 (文化路街道, 一网格), 翡翠名苑 (光明路街道)
    and 御景华庭 (龙山路街道, another district)."""
    return {"bishui": _add(world.k2, "3号楼", "2", "502", grid="二网格"),
            "jinse": _add(world.k1, "3号楼", "2", "502"),
            "feicui": _add(world.k3, "3号楼", "2", "502"),
            "yujing": _add(world.k4, "3号楼", "2", "502")}


def _links(page: str) -> set[int]:
    out = set()
    for part in page.split('href="/office/households/')[1:]:
        out.add(int(part.split("?")[0].split('"')[0]))
    return out


@pytest.mark.parametrize("q", ["碧水家园 3-2-502", "碧水家园 3号楼2单元502", "碧水家园3号楼2单元502室", "碧水 3栋 2单元 502",
                               "碧水家园 ３－２－５０２", "碧水家园 三号楼二单元502"])
def test_an_address_finds_its_household(client, world, login, homes, q):
    login("street1")
    page = client.get("/office/households", query_string={"q": q}).get_data(as_text=True)
    assert _links(page) == {homes["bishui"].id}, q
    assert "共 1 户" in page and "碧水家园" in page and "未参评" in page


def test_room_alone_and_the_answered_mark(client, world, login, homes):
    answer(world.campaign, homes["jinse"], 4)
    login("street1")
    page = client.get("/office/households?q=3-2-502").get_data(as_text=True)
    assert _links(page) == {homes["bishui"].id, homes["jinse"].id}
    jinse = page[page.index("金色花园"):]
    assert "已参评" in jinse[:jinse.index("</tr>")]
    # a compound's name alone lists its households, in address order; a room alone finds every 502 seen
    page = client.get("/office/households?q=碧水").get_data(as_text=True)
    assert "共 41 户" in page
    assert _links(client.get("/office/households?q=502").get_data(as_text=True)) >= {homes["bishui"].id,
                                                                                    homes["jinse"].id}
    # the link opens the household's page, where its code is (re-)issued
    assert "发放二维码" in client.get(f"/office/households/{homes['bishui'].id}").get_data(as_text=True)


def test_the_search_stays_within_the_jurisdiction(app, client, world, login, homes, db):
    login("street1")
    assert _links(client.get("/office/households?q=3-2-502").get_data(as_text=True)) == {
        homes["bishui"].id, homes["jinse"].id}
    assert "共 0 户" in client.get("/office/households?q=御景华庭").get_data(as_text=True)
    city = app.test_client()
    city.post("/login", data={"username": "city", "password": "pw-123456"})
    assert _links(city.get("/office/households?q=3-2-502").get_data(as_text=True)) == {h.id for h in homes.values()}
    district = app.test_client()
    district.post("/login", data={"username": "district", "password": "pw-123456"})
    assert _links(district.get("/office/households?q=3-2-502").get_data(as_text=True)) == {
        homes["bishui"].id, homes["jinse"].id, homes["feicui"].id}
    # the area picker narrows within it; an area outside is refused
    page = city.get("/office/households", query_string={"q": "3-2-502", "district": world.west.id}).get_data(as_text=True)
    assert _links(page) == {homes["yujing"].id}
    assert client.get("/office/households", query_string={"q": "502", "street": world.s3.id}).status_code == 403
    assert client.get("/office/households", query_string={"q": "502", "compound": world.k4.id}).status_code == 404
    # a grid worker finds only their grids' households
    b = db.session.get(Building, homes["bishui"].building_id)
    b.grid = "三网格"
    db.session.commit()
    grid = app.test_client()
    grid.post("/login", data={"username": "grid1", "password": "pw-123456"})
    assert _links(grid.get("/office/households?q=3-2-502").get_data(as_text=True)) == {homes["jinse"].id}
    assert grid.get(f"/office/households/{homes['bishui'].id}").status_code == 404


def test_results_are_paged_with_the_filters_kept(client, world, login):
    login("street1")
    page = client.get("/office/households", query_string={"q": "金色花园"}).get_data(as_text=True)
    assert "共 40 户" in page and "第 1 / 1 页" not in page and len(_links(page)) == 40
    page = client.get("/office/households", query_string={"compound": world.k1.id}).get_data(as_text=True)
    assert "共 40 户" in page
    _add(world.k1, "2号楼", "1", "101")
    for n in range(2, 12):
        _add(world.k1, "2号楼", "1", f"{n}01")
    page = client.get("/office/households", query_string={"q": "金色"}).get_data(as_text=True)
    assert "共 51 户" in page and "第 1 / 2 页" in page and len(_links(page)) == 50
    nxt = page[page.index('class="pager"'):]
    assert "page=2" in nxt and "q=%E9%87%91%E8%89%B2" in nxt
    page2 = client.get("/office/households", query_string={"q": "金色", "page": 2}).get_data(as_text=True)
    assert len(_links(page2)) == 1 and not _links(page2) & _links(page)
    # sorted by building then unit then room, numbers as numbers: 1号楼 before 2号楼, 1101 after 201
    rows = page.split("<tr>")[2:]
    assert "1号楼" in rows[0] and "2号楼" in rows[-1] or "2号楼" not in page


@pytest.mark.parametrize("q", ["", " ", "x" * 100_000, "a\x00b", "' OR '1'='1'; DROP TABLE households; --",
                               '<script>alert("x")</script>', "%", "_", "١٢", "𝟏𝟐", "\u200b"])
def test_empty_and_hostile_queries_get_a_message(client, world, login, q):
    login("city")
    resp = client.get("/office/households", query_string={"q": q})
    page = resp.get_data(as_text=True)
    assert resp.status_code in (200, 400), (q[:20], resp.status_code)
    assert "<script>alert" not in page
    if resp.status_code == 400 or not q.strip(" \u200b"):
        assert "flash warning" in page
    else:  # read as text (a "%" or "_" matches no name), or as nothing to look for
        assert "共 0 户" in page or "flash warning" in page


def test_companies_may_not_search(client, world, login):
    login("company1")
    assert client.get("/office/households?q=502").status_code == 403
