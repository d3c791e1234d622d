"""The ranking workbook: every sheet, numbers as numbers, band shading, and LibreOffice opens it."""
import io
import shutil
import subprocess

import openpyxl

from ..conftest import need
from ..factories import answer, households_of


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
    assert wb.sheetnames == ["企业排名", "各区", "各街道", "企业×维度", "小区", "方法说明"]
    for ws in wb:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    ranking = wb["企业排名"]
    assert ranking.conditional_formatting  # bands shaded
    first = [c for c in ranking[2]]
    assert first[2].value == "甲物业服务有限公司" and first[3].data_type == "n" and first[3].number_format == "0.0"
    assert first[9].number_format == "0.0%"
    districts = {r[2]: r for r in wb["各区"].iter_rows(min_row=2, values_only=True)}
    assert districts["东城区"][7] == 24 and districts["西城区"][7] == 8
    dims = list(wb["企业×维度"].iter_rows(min_row=1, values_only=True))
    assert dims[0][2] == "客户服务" and dims[1][1] == "甲物业服务有限公司" and dims[1][2] == 87.5
    compounds = {r[2]: r for r in wb["小区"].iter_rows(min_row=2, values_only=True)}
    assert compounds["碧水家园"][4] == 25.0 and compounds["碧水家园"][7] == 8


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
    assert wb.sheetnames == ["企业排名", "各区", "各街道", "企业×维度", "小区", "方法说明"]
    row = [c.value for c in wb["企业排名"][2]]
    assert row[2] == "甲物业服务有限公司" and isinstance(row[3], (int, float)) and row[3] == 87.5
