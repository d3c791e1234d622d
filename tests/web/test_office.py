"""Staff pages: logins, jurisdiction, codes and labels, ranking and rectification downloads."""
import io
import re

import openpyxl
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from survey_app.domain.responses import codes as tokens
from survey_app.models import AuditEvent, Building, HouseholdCode, RectificationItem

from ..factories import answer, households_of
from ..sheets import header_row, table, title_block


def _decode_data_uri_png(html: str, index: int = 0) -> str:
    import base64

    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    img = Image.open(io.BytesIO(base64.b64decode(uris[index])))
    found = zxingcpp.read_barcodes(img)
    assert found, "no QR code found in the image"
    return found[0].text


def _building(db, compound):
    return db.session.scalar(select(Building).where(Building.compound_id == compound.id))


def test_login_refuses_wrong_password_and_pages_need_login(client, world):
    assert client.get("/office/").status_code == 302
    resp = client.post("/login", data={"username": "street1", "password": "nope"})
    assert resp.status_code == 401 and "用户名或密码错误" in resp.data.decode()
    assert client.post("/login", data={}).status_code == 400


def test_passwords_are_hashed(db, world):
    from survey_app.models import User

    u = db.session.scalar(select(User).where(User.username == "street1"))
    assert "pw-123456" not in u.password_hash and u.check_password("pw-123456")


def test_street_officer_sees_only_their_street(client, world, login, db):
    login("street1")
    dash = client.get("/office/participation").data.decode()
    assert "金色花园" in dash and "碧水家园" in dash
    assert "翡翠名苑" not in dash and "御景华庭" not in dash
    assert client.get(f"/office/compounds/{world.k1.id}").status_code == 200
    assert client.get(f"/office/compounds/{world.k4.id}").status_code == 404
    assert client.get(f"/office/buildings/{_building(db, world.k4).id}").status_code == 404
    assert client.get(f"/office/households/{households_of(world.k4)[0].id}").status_code == 404
    assert client.post(f"/office/households/{households_of(world.k4)[0].id}/code").status_code == 404
    assert client.get(f"/office/ranking?area=street:{world.s3.id}").status_code == 403
    assert client.get(f"/office/ranking?area=district:{world.east.id}").status_code == 403
    assert client.get("/office/ranking?area=city:").status_code == 403
    assert client.get(f"/office/ranking.xlsx?area=street:{world.s3.id}").status_code == 403
    assert client.get("/office/ranking?area=bogus").status_code == 400
    assert client.get("/company/").status_code == 403


def test_district_officer_sees_its_streets_but_not_other_districts(client, world, login):
    login("district")
    assert client.get(f"/office/ranking?area=street:{world.s2.id}").status_code == 200
    assert client.get(f"/office/ranking?area=street:{world.s3.id}").status_code == 403
    assert client.get(f"/office/compounds/{world.k4.id}").status_code == 404


def test_company_user_sees_only_its_own_compounds(client, world, login, db):
    for h in households_of(world.k1)[:6] + households_of(world.k2)[:6]:
        answer(world.campaign, h, 4, comment="物业电话13812345678")
    login("company1")
    page = client.get("/company/").data.decode()
    assert "金色花园" in page and "翡翠名苑" in page
    assert "碧水家园" not in page and "乙物业" not in page
    assert "13812345678" not in page
    for path in ("/office/", "/office/ranking", f"/office/compounds/{world.k1.id}", "/office/rectification"):
        assert client.get(path).status_code == 403


def test_household_code_is_shown_once_as_png_and_svg_and_reissue_needs_confirmation(client, world, login, db):
    login("street1")
    h = households_of(world.k1)[0]
    page = client.post(f"/office/households/{h.id}/code").data.decode()
    url = _decode_data_uri_png(page)
    assert url.startswith("http://survey.test/s/")
    assert "data:image/svg+xml;base64," in page
    token = url.rsplit("/", 1)[1]
    stored = db.session.scalar(select(HouseholdCode).where(HouseholdCode.household_id == h.id))
    assert stored.code_hash == tokens.hash_token(token) and token.encode() not in stored.code_hash
    assert token not in client.get(f"/office/households/{h.id}").data.decode()  # never shown again

    refused = client.post(f"/office/households/{h.id}/code")
    assert refused.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(HouseholdCode)) == 1
    no_reason = client.post(f"/office/households/{h.id}/code", data={"confirm_reissue": "yes"})
    assert no_reason.status_code == 302 and tokens.find_code(token) is not None
    page2 = client.post(f"/office/households/{h.id}/code",
                        data={"confirm_reissue": "yes", "why": "住户遗失二维码"}).data.decode()
    assert "旧码已作废" in page2
    assert tokens.find_code(token) is None and tokens.find_code(_decode_data_uri_png(page2).rsplit("/", 1)[1])
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("codes.%")).order_by(AuditEvent.id)).all()
    assert [a.action for a in audit] == ["codes.issued", "codes.reissued"]
    assert audit[1].street_id == h.building.compound.street_id and audit[1].district_id == h.building.compound.district_id
    assert audit[1].user_id is not None and audit[1].at is not None and "住户遗失二维码" in audit[1].detail
    assert audit[1].target == f"household:{h.id}"


def test_ranking_page_and_workbook(client, world, login, db):
    for h in households_of(world.k1)[:10]:
        answer(world.campaign, h, 5)
    for h in households_of(world.k2)[:8]:
        answer(world.campaign, h, 2)
    for h in households_of(world.k3)[:2]:
        answer(world.campaign, h, 4)
    login("district")
    page = client.get(f"/office/ranking?area=district:{world.east.id}").data.decode()
    assert "甲物业服务有限公司" in page and "乙物业服务有限公司" in page
    resp = client.get(f"/office/ranking.xlsx?area=district:{world.east.id}")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["企业排名"]
    top = header_row(ws, "名次")
    assert ws.freeze_panes == f"A{top + 1}" and ws.auto_filter.ref.startswith(f"A{top}:")
    block = title_block(ws, top)
    assert "范围：东城区" in block[1] and "制表单位：东城区" in block[2], block
    headers, rows = table(ws, "名次")
    assert headers[:4] == ["名次", "等级组", "物业服务企业", "满意度指数"]
    rows = {r[2]: dict(zip(headers, r)) for r in rows}
    first = rows["甲物业服务有限公司"]
    assert first["名次"] == 1 and first["有效样本(份)"] == 12 and first["总户数"] == 70
    assert abs(first["满意度指数"] - (10 * 100 + 2 * 75) / 12) < 0.06
    assert rows["乙物业服务有限公司"]["名次"] == 2 and rows["乙物业服务有限公司"]["满意度指数"] == 25.0
    assert isinstance(first["参评率"], float) and ws.column_dimensions["C"].width >= 20
    method = {r[0]: r[1] for r in table(wb["方法说明"], "项目")[1]}
    assert "5 份" in method["参与排名条件"] and "10%" in method["参与排名条件"]
    assert "有限总体校正" in method["95%区间"]


def test_small_samples_are_listed_as_not_enough_not_ranked(client, world, login):
    for h in households_of(world.k1)[:3]:
        answer(world.campaign, h, 5)
    login("street1")
    page = client.get("/office/ranking").data.decode()
    assert "未达到排名条件的企业" in page and "暂无达到排名条件的企业" in page


def test_rectification_generated_by_rule_listed_and_exported_without_formulas(client, world, login, db):
    world.k1.name = '=HYPERLINK("http://evil","点我")'
    world.c1.name = "＋甲物业"  # full-width plus
    db.session.commit()
    for h in households_of(world.k1)[:6]:
        answer(world.campaign, h, 4, overrides={q.id: 1 for q in world.campaign.questions
                                                if q.dimension.key == "cleaning"})
    login("street1")
    client.post("/rectification/generate")
    items = db.session.scalars(select(RectificationItem)).all()
    assert [i.category for i in items] == ["环境卫生"]
    assert "得分 0.0" in items[0].evidence and "6 户作答" in items[0].evidence
    client.post("/rectification/generate")  # idempotent
    assert db.session.scalar(select(func.count()).select_from(RectificationItem)) == 1
    assert "环境卫生" in client.get("/office/rectification", follow_redirects=True).data.decode()
    old = client.get("/office/rectification.xlsx")  # the old address leads to the rectification workbook
    assert old.status_code == 308 and old.headers["Location"].endswith("/rectification/export.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/office/rectification.xlsx", follow_redirects=True).data))
    ws = wb.active
    top = header_row(ws, "编号")
    header = [c.value for c in ws[top]]
    assert header[:8] == ["编号", "街道", "社区", "小区", "物业服务企业", "类别", "来源", "问题依据"]
    block = title_block(ws, top)
    assert block[0] == "整改清单" and f"测评活动：{world.campaign.name}" in block[1], block
    assert "制表单位：东城区 文化路街道" in block[2], block
    row = [c for c in ws[top + 1]]
    assert all(c.data_type != "f" for c in row)
    assert row[3].value == "'" + world.k1.name and row[4].value == "'＋甲物业"
    assert row[header.index("状态")].value == "待派发"


def _tables(html: str) -> list[list[list[str]]]:
    """Each <table> of a page as rows of cell texts (header row first)."""
    from html.parser import HTMLParser

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.tables.append([])
            elif tag == "tr" and self.tables:
                self.tables[-1].append([])
            elif tag in ("td", "th") and self.tables:
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.tables[-1][-1].append(" ".join("".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Tables()
    parser.feed(html)
    return parser.tables


def test_the_participation_table_has_each_figure_under_its_heading(client, world, login, db):
    for h in households_of(world.k1)[:5]:
        answer(world.campaign, h, 4)
    login("street1")
    (table,) = _tables(client.get("/office/participation").data.decode())
    header, *rows = table
    assert all(len(r) == len(header) for r in rows), (header, rows)
    row = dict(zip(header, next(r for r in rows if r[header.index("小区")] == world.k1.name)))
    households = int(row["户数"])
    assert row["已参评"] == "5"
    assert row["参评率"] == f"{5 / households:.1%}"
    assert row["协助填写占比"] == "0.0%"
    assert row["满意度指数"] not in ("", "—")
