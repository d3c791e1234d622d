"""Live coverage, the list of households to visit, and assisted answers."""
import io

import openpyxl
from sqlalchemy import func, select

from survey_app.models import Building, Response

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
