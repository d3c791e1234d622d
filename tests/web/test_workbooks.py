"""The ranking workbook: every sheet, numbers as numbers, band shading, and LibreOffice opens it."""
import io
import shutil
import subprocess

import openpyxl

from ..conftest import need
from ..factories import answer, households_of
from survey_app.domain.xlsx.ranking import not_ranked

from ..sheets import header_row, table, title_block


def _workbook(world, client, login):
    for compound, value in ((world.k1, 5), (world.k2, 2), (world.k3, 4), (world.k4, 3)):
        for h in households_of(compound)[:8]:
            answer(world.campaign, h, value)
    login("city")
    resp = client.get("/office/ranking.xlsx?area=city:")
    assert resp.status_code == 200
    return resp.data


def test_ranking_workbook_has_every_sheet_with_numbers(client, world, login):
    wb = openpyxl.load_workbook(io.BytesIO(_workbook(world, client, login)))
    assert wb.sheetnames == ["企业排名", "各区", "各街道", "企业×维度", "小区", "整改闭环", "方法说明"]
    for ws in wb:
        first = {"方法说明": "项目", "小区": "街道", "整改闭环": "物业服务企业"}.get(ws.title, "名次")
        top = header_row(ws, first)
        # The title block above every table says what, where, which campaign, when and who issued it.
        block = title_block(ws, top)
        assert "范围：全市" in block[1] and f"测评活动：{world.campaign.name}" in block[1], block
        assert "制表日期：20" in block[2] and "制表单位：全市" in block[2], block
        # Frozen panes and the filter sit on the real header row, and it prints on every page.
        assert ws.freeze_panes == f"A{top + 1}" and ws.auto_filter.ref.startswith(f"A{top}:")
        assert ws.print_title_rows == f"${top}:${top}"
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4  # 9: A4
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        wide = ws.max_column > 8
        assert ws.page_setup.orientation == ("landscape" if wide else "portrait"), ws.title
    ranking = wb["企业排名"]
    assert title_block(ranking, header_row(ranking, "名次"))[0] == "物业服务企业满意度排名"
    assert ranking.conditional_formatting  # bands shaded
    top = header_row(ranking, "名次")
    assert [c.value for c in ranking[top]][:4] == ["名次", "等级组", "物业服务企业", "满意度指数"]
    first = [c for c in ranking[top + 1]]
    assert first[2].value == "甲物业服务有限公司" and first[3].data_type == "n" and first[3].number_format == "0.0"
    assert first[9].data_type == "n" and 0 < first[9].value <= 1 and first[9].number_format == "0.0%"
    assert first[10].number_format == "0.0%"
    _, districts = table(wb["各区"], "名次")
    districts = {r[2]: r for r in districts}
    assert districts["东城区"][7] == 24 and districts["西城区"][7] == 8
    head, dims = table(wb["企业×维度"], "名次")
    assert head[2] == "客户服务" and dims[0][1] == "甲物业服务有限公司" and dims[0][2] == 87.5
    _, compounds = table(wb["小区"], "街道")
    compounds = {r[2]: r for r in compounds}
    assert compounds["碧水家园"][4] == 25.0 and compounds["碧水家园"][7] == 8
    cs = wb["小区"]
    rate = cs.cell(row=header_row(cs, "街道") + 1, column=10)
    assert rate.data_type == "n" and rate.number_format == "0.0%"
    assert compounds["碧水家园"][:4] == ("文化路街道", "幸福社区", "碧水家园", "乙物业服务有限公司")
    # The method's long descriptions wrap in their column, top-aligned; the item names do not.
    ms = wb["方法说明"]
    top = header_row(ms, "项目")
    described = [row for row in ms.iter_rows(min_row=top + 1) if row[0].value]
    assert len(described) > 10
    for item, text in described:
        assert text.value and text.alignment.wrap_text and text.alignment.vertical == "top", item.value
        assert not item.alignment.wrap_text


def test_ranking_workbook_says_once_why_a_unit_is_not_ranked(client, world, login, db):
    for h in households_of(world.k1)[:8]:
        answer(world.campaign, h, 5)
    for h in households_of(world.k3)[:3]:  # too few to rank
        answer(world.campaign, h, 4)
    login("city")
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/office/ranking.xlsx?area=city:").data))
    head, rows = table(wb["企业排名"], "名次")
    notes = [r[head.index("说明")] for r in rows if r[head.index("说明")]]
    assert notes, rows
    for note in notes:
        assert note.startswith("不参与排名（") and note.count("样本不足") <= 1 and note.count("不参与排名") == 1, note
    assert "不参与排名（样本不足 5 份，不显示）" in notes, notes
    # Enough answers to show but too few to rank: the reason the ranking gives, said once.
    assert not_ranked("样本不足：6 份，少于 10 份") == "不参与排名（样本不足：6 份，少于 10 份）"


def test_libreoffice_opens_the_ranking_workbook_without_repair(client, world, login, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        need("LibreOffice (soffice) is not installed")
    src = tmp_path / "ranking.xlsx"
    src.write_bytes(_workbook(world, client, login))
    out = tmp_path / "out"
    res = subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                          "--convert-to", "ods", "--outdir", str(out), str(src)],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0 and (out / "ranking.ods").exists(), res.stdout + res.stderr
    # Back to xlsx through LibreOffice, then read what it kept.
    back = tmp_path / "back"
    res = subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                          "--convert-to", "xlsx", "--outdir", str(back), str(out / "ranking.ods")],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    wb = openpyxl.load_workbook(back / "ranking.xlsx")
    assert wb.sheetnames == ["企业排名", "各区", "各街道", "企业×维度", "小区", "整改闭环", "方法说明"]
    ranking = wb["企业排名"]
    row = [c.value for c in ranking[header_row(ranking, "名次") + 1]]
    assert row[2] == "甲物业服务有限公司" and isinstance(row[3], (int, float)) and row[3] == 87.5


# Forms filled in and uploaded again keep their header in the first row (the importers read it there).
IMPORT_TEMPLATES = {"campaigns.export", "roster.template"}


def test_every_workbook_download_has_a_title_block_and_prints_on_a4(app, client, world, login):
    for compound in (world.k1, world.k2):
        for h in households_of(compound)[:8]:
            answer(world.campaign, h, 1, comment="楼道灯坏了")
    login("city")
    assert client.post(f"/rectification/generate?campaign={world.campaign.id}").status_code == 302
    seen, notes_sheets = set(), set()
    for who in ("city", "company1"):
        login(who)
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or not rule.rule.endswith(".xlsx") or rule.endpoint in IMPORT_TEMPLATES:
                continue
            if (who == "company1") != rule.endpoint.startswith("company."):
                continue
            url = rule.rule.replace("<id:campaign_id>", str(world.campaign.id))
            resp = client.get(url, query_string={"campaign": world.campaign.id, "area": "city:"},
                              follow_redirects=True)
            assert resp.status_code == 200, (rule.endpoint, resp.status_code)
            seen.add(rule.endpoint)
            wb = openpyxl.load_workbook(io.BytesIO(resp.data))
            for ws in wb:
                where = (rule.endpoint, ws.title)
                assert ws.print_title_rows, where  # the header row repeats on every printed page
                top = int(ws.print_title_rows.split(":")[0].strip("$"))
                block = title_block(ws, top)
                assert len(block) == 3 and "制表日期：" in block[2] and "制表单位：" in block[2], (where, block)
                assert ws.freeze_panes == f"A{top + 1}", where
                assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4, where
                assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, where
                assert ws.sheet_properties.pageSetUpPr.fitToPage, where  # else the fit-to settings are ignored
                assert ws.page_setup.orientation == ("landscape" if ws.max_column > 8 else "portrait"), where
                assert ws.page_margins.left <= 0.75 and ws.page_margins.top <= 0.75, where
                if [c.value for c in ws[top]][:2] == ["项目", "说明"]:  # a notes sheet: its long texts wrap
                    notes_sheets.add(where)
                    assert all(row[1].alignment.wrap_text for row in ws.iter_rows(min_row=top + 1)), where
    assert {"office.ranking_xlsx", "rectification_sheets.export", "visits.pending_xlsx", "company.report_xlsx",
            "audit.export"} <= seen, seen
    assert {("office.ranking_xlsx", "方法说明"), ("overview.benchmarks_xlsx", "说明")} <= notes_sheets, notes_sheets


def test_the_questionnaire_template_keeps_its_header_in_row_one_and_prints_on_a4(client, world, login):
    login("city")
    resp = client.get(f"/office/campaigns/{world.campaign.id}/questionnaire.xlsx")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    for ws in wb:
        assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1", ws.title
        assert ws.page_setup.fitToWidth == 1
