"""The property company's own view and workbook: its own figures only, small groups hidden, text masked."""
import io

import openpyxl

from ..factories import answer, households_of


def _setup(world):
    for h in households_of(world.k1)[:6]:
        answer(world.campaign, h, 4, comment="楼道灯坏了，请联系13812345678，我住1号楼1单元101室")
    for h in households_of(world.k3)[:3]:  # fewer than 5: no breakdown, no comments
        answer(world.campaign, h, 2, comment="翡翠名苑的秘密意见")
    for h in households_of(world.k2)[:6]:  # another company
        answer(world.campaign, h, 1, comment="乙公司的意见")


def test_company_sees_its_figures_against_the_city_without_small_groups(client, world, login):
    _setup(world)
    login("company1")
    page = client.get("/company/").data.decode()
    assert "全市平均" in page and "各维度：本企业与全市平均" in page
    assert "金色花园" in page and "翡翠名苑" in page
    assert "翡翠名苑的秘密意见" not in page and "乙公司的意见" not in page and "碧水家园" not in page
    assert "13812345678" not in page and "[手机号已隐藏]" in page and "[门牌已隐藏]" in page
    assert page.count("楼道灯坏了") == 6
    row = page[page.index("<td>翡翠名苑</td>"):page.index("</tr>", page.index("<td>翡翠名苑</td>"))]
    assert "样本不足" in row and "25.0" not in row


def test_company_workbook(client, world, login):
    _setup(world)
    login("company1")
    resp = client.get("/company/report.xlsx")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["概况", "各小区", "各维度", "意见建议"]
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    assert "碧水家园" not in text and "乙物业" not in text and "13812345678" not in text
    assert "秘密意见" not in text
    compounds = {r[0]: r for r in wb["各小区"].iter_rows(min_row=2, values_only=True)}
    assert compounds["金色花园"][1] == 75.0 and compounds["翡翠名苑"][1] is None and compounds["翡翠名苑"][4] == 3
    dims = list(wb["各维度"].iter_rows(min_row=2, values_only=True))
    assert len(dims) == 9 and all(isinstance(d[1], float) for d in dims)


def test_officers_cannot_use_the_company_pages(client, world, login):
    login("street1")
    assert client.get("/company/").status_code == 403
    assert client.get("/company/report.xlsx").status_code == 403
