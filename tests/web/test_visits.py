"""Live coverage, the list of households to visit, and assisted answers."""
import io

import openpyxl
from sqlalchemy import func, select

from survey_app.models import Building, Household, Response

from ..factories import answer, form_for, households_of
from ..sheets import header_row, table, title_block


def test_coverage_matches_the_responses_table_and_lists_who_is_left(client, world, login, db):
    hs = households_of(world.k1)
    for h in hs[:7]:
        answer(world.campaign, h, 4)
    answer(world.campaign, households_of(world.k4)[0], 4)  # another street: not counted here
    login("grid1")
    page = client.get(f"/office/visits?compound={world.k1.id}").data.decode()
    n = db.session.scalar(select(func.count(Response.id)).where(Response.compound_id == world.k1.id))
    assert n == 7 and f'<td class="n">{n}</td>' in page and "17.5%" in page
    assert page.count('href="/office/assist/') == 33  # every household not yet answered, nobody else
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"/office/visits/pending.xlsx?compound={world.k1.id}").data))
    ws = wb.active
    top = header_row(ws, "街道")
    _, rows = table(ws, "街道")
    assert len(rows) == 33 and {r[3] for r in rows} == {"金色花园"}
    assert ws.freeze_panes == f"A{top + 1}" and ws.print_title_rows == f"${top}:${top}"
    block = title_block(ws, top)
    assert block[0] == "未参评住户走访清单" and "金色花园" in block[1] and f"测评活动：{world.campaign.name}" in block[1]
    assert "制表单位：东城区 文化路街道" in block[2], block


def test_pending_list_filters_by_grid_and_building(client, world, login, db):
    b = db.session.scalar(select(Building).where(Building.compound_id == world.k2.id))
    b.grid = "第三网格"
    db.session.commit()
    login("street1")
    page = client.get("/office/visits?grid=第三网格").data.decode()
    assert "<td>碧水家园</td>" in page and "<td>金色花园</td>" not in page
    assert page.count("/office/assist/") == 40
    page = client.get(f"/office/visits?compound={world.k2.id}&building={b.id}").data.decode()
    assert page.count("/office/assist/") == 40


def test_coverage_is_scoped_and_validates_filters(client, world, login):
    login("street1")
    assert client.get(f"/office/visits?compound={world.k4.id}").status_code == 404
    assert client.get("/office/visits?compound=abc").status_code == 400
    page = client.get("/office/visits").data.decode()
    assert "御景华庭" not in page and "翡翠名苑" not in page


def test_grid_worker_submits_an_assisted_answer(client, world, login, db):
    h = households_of(world.k1)[0]
    login("grid1")
    form = client.get(f"/office/assist/{h.id}").data.decode()
    assert "协助填写" in form and "金色花园" in form and "非常满意" in form
    bad = client.post(f"/office/assist/{h.id}", data={})
    assert bad.status_code == 422
    resp = client.post(f"/office/assist/{h.id}", data=form_for(world.campaign, "3"))
    assert resp.status_code == 302
    r = db.session.scalar(select(Response))
    assert r.mode == "assisted" and r.assisted_by_id is not None and r.score == 50.0
    # The worker may not reopen or overwrite an answered household's survey.
    assert client.get(f"/office/assist/{h.id}").status_code == 409
    assert client.post(f"/office/assist/{h.id}", data=form_for(world.campaign, "5")).status_code == 409
    page = client.get(f"/office/visits?compound={world.k1.id}").data.decode()
    assert "网格员协助填写" in page and "grid1" in page and "100.0%" in page
    dash = client.get("/office/participation").data.decode()
    row = dash[dash.index("金色花园"):dash.index("</tr>", dash.index("金色花园"))]
    assert "协助填写占比" in dash and "100.0%" in row


def test_only_grid_and_street_staff_in_jurisdiction_may_assist(app, client, world, login):
    login("district")
    assert client.get(f"/office/assist/{households_of(world.k1)[0].id}").status_code == 403
    other = app.test_client()
    other.post("/login", data={"username": "grid1", "password": "pw-123456"})
    assert other.get(f"/office/assist/{households_of(world.k4)[0].id}").status_code == 404


def _select(page: str, name: str) -> str:
    """The options of the picker's select of that name ("" when the page offers none)."""
    if f'name="{name}"' not in page:
        return ""
    part = page[page.index(f'<select name="{name}"'):]
    return part[:part.index("</select>")]


def _city_of_buildings(world, db, n=60):
    """n more buildings of one household each in 金色花园 (文化路街道): a list longer than a page."""
    for i in range(n):
        b = Building(compound_id=world.k1.id, name=f"{i + 10}号楼", grid="一网格")
        db.session.add(b)
        db.session.flush()
        db.session.add(Household(building_id=b.id, compound_id=world.k1.id, unit="1", room="101"))
    db.session.commit()


def test_city_level_visits_are_paged_with_counts(client, world, login, db):
    _city_of_buildings(world, db)
    login("city")
    page = client.get("/office/visits").data.decode()
    total_buildings, total_households = 4 + 60, 40 + 40 + 30 + 20 + 60
    assert f"共 {total_buildings} 栋楼、{total_households} 户" in page
    table = page[page.index("各楼栋参评率"):page.index('id="pending"')]
    assert table.count('href="/office/buildings/') == 50 and "第 1 / 2 页" in table
    assert page.count('href="/office/assist/') == 0  # the city does not assist; the list is still paged
    assert f"共 {total_households} 户" in page and "第 1 / 2 页" in page[page.index('id="pending"'):]
    second = client.get("/office/visits?page=2").data.decode()
    table2 = second[second.index("各楼栋参评率"):second.index('id="pending"')]
    assert table2.count('href="/office/buildings/') == 14
    rows = page[page.index('class="data pending"'):].split("<tr>")[2:]
    assert len(rows) == 100


def test_visits_filter_by_district_street_and_compound(client, world, login, db):
    login("city")
    west = client.get(f"/office/visits?district={world.west.id}").data.decode()
    assert "御景华庭" in west and "金色花园" not in west and "共 1 栋楼、20 户" in west
    # after choosing a district, its streets are offered; after a street, its compounds
    assert "光明路街道" in _select(client.get(f"/office/visits?district={world.east.id}").data.decode(), "street")
    street = client.get(f"/office/visits?street={world.s2.id}").data.decode()
    assert "翡翠名苑" in street and "金色花园" not in street and "共 1 栋楼、30 户" in street
    assert "翡翠名苑" in _select(street, "compound") and "阳光社区" in _select(street, "community")
    one = client.get(f"/office/visits?compound={world.k2.id}").data.decode()
    assert "共 1 栋楼、40 户" in one and "金色花园</td>" not in one
    # a street that does not lie in the chosen district is dropped (the district was changed)
    both = client.get(f"/office/visits?district={world.west.id}&street={world.s1.id}").data.decode()
    assert "御景华庭" in both and "金色花园" not in both
    # a street officer may not pick another street, and the filters ride along the paging links
    login("street1")
    assert client.get(f"/office/visits?street={world.s3.id}").status_code == 403
    assert client.get(f"/office/visits?district={world.west.id}").status_code == 403
    _city_of_buildings(world, db)
    page = client.get(f"/office/visits?compound={world.k1.id}").data.decode()
    pager = page[page.index('class="pager"'):]
    assert f"compound={world.k1.id}" in pager and "page=2" in pager
