"""The property company's own view and workbook: its own figures only, small groups hidden, text masked."""
import io

import openpyxl

from ..factories import answer, households_of

from ..sheets import header_row, table, title_block


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
    assert wb.sheetnames == ["概况", "各小区", "各维度", "意见建议", "整改事项"]
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    assert "碧水家园" not in text and "乙物业" not in text and "13812345678" not in text
    assert "秘密意见" not in text
    first = {"概况": "项目", "各小区": "小区", "各维度": "维度", "意见建议": "小区", "整改事项": "编号"}
    for ws in wb:  # a title block naming the company, the campaign, the date and the issuing office
        block = title_block(ws, header_row(ws, first[ws.title]))
        assert "范围：甲物业服务有限公司" in block[1] and f"测评活动：{world.campaign.name}" in block[1], block
        assert "制表日期：20" in block[2] and "制表单位：甲物业服务有限公司" in block[2], block
    head, compounds = table(wb["各小区"], "小区")
    compounds = {r[0]: r for r in compounds}
    assert compounds["金色花园"][1] == 75.0 and compounds["翡翠名苑"][1] is None and compounds["翡翠名苑"][4] == 3
    _, dims = table(wb["各维度"], "维度")
    assert len(dims) == 9 and all(isinstance(d[1], float) for d in dims)
    # Shares are numbers shown as percentages (not 0.4962225), means with one decimal.
    overview = wb["概况"]
    top = header_row(overview, "项目")
    cells = {overview.cell(row=r, column=1).value: overview.cell(row=r, column=2)
             for r in range(top + 1, overview.max_row + 1)}
    assert cells["参评率"].data_type == "n" and 0 < cells["参评率"].value <= 1
    assert cells["参评率"].number_format == "0.0%" and cells["总体满意率"].number_format == "0.0%"
    assert cells["满意度指数"].number_format == "0.0" and cells["全市平均指数"].number_format == "0.0"
    cs = wb["各小区"]
    rate = cs.cell(row=header_row(cs, "小区") + 1, column=head.index("参评率") + 1)
    assert rate.data_type == "n" and rate.number_format == "0.0%"
    assert cs.page_setup.orientation == "landscape" and overview.page_setup.orientation == "portrait"
    assert cs.print_title_rows == "$5:$5" and cs.page_setup.fitToWidth == 1


def test_officers_cannot_use_the_company_pages(client, world, login):
    login("street1")
    assert client.get("/company/").status_code == 403
    assert client.get("/company/report.xlsx").status_code == 403


def test_company_workbook_says_once_why_the_company_is_not_ranked(client, world, login):
    for h in households_of(world.k3)[:3]:
        answer(world.campaign, h, 4)
    login("company1")
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/company/report.xlsx").data))
    overview = wb["概况"]
    top = header_row(overview, "项目")
    rank = next(overview.cell(row=r, column=2).value for r in range(top + 1, overview.max_row + 1)
                if overview.cell(row=r, column=1).value == "全市名次")
    assert rank == "不参与排名（样本不足 5 份，不显示）", rank
