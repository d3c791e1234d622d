"""The rectification workbook's pages: download per street, community or company within the user's
scope, the import page, a dry run, refusals listed by row, column and reason, broken files."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta

import openpyxl
from sqlalchemy import func, select

from survey_app.domain.clock import now
from survey_app.domain.xlsx import rectification as workbook
from survey_app.models import AuditEvent, RectificationEvent, RectificationItem

from ..conftest import need
from ..domain.test_rectification_sheets import add_item, edit, rows_by_id, sheet
from ..sheets import header_row


def _items(world, db):
    soon = now().date() + timedelta(days=10)
    return (add_item(world, db, world.k1, world.c1, "assigned", deadline=soon),
            add_item(world, db, world.k2, world.c2, "assigned", deadline=soon),
            add_item(world, db, world.k4, world.c3, "submitted", deadline=soon))


def _upload(client, data: bytes, dry_run=False, name="整改清单.xlsx"):
    form = {"file": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "yes"
    return client.post("/rectification/import", data=form, content_type="multipart/form-data")


def test_export_is_scoped_and_filters_are_checked(client, world, login, db):
    mine, other, far = _items(world, db)
    login("company1")
    resp = client.get(f"/rectification/export.xlsx?campaign={world.campaign.id}")
    assert resp.status_code == 200
    ws, top = sheet(resp.data)
    assert set(rows_by_id(ws, top)) == {mine.id}
    assert client.get(f"/rectification/export.xlsx?company={world.c2.id}").status_code == 404
    assert client.get(f"/rectification/export.xlsx?company={world.c1.id}").status_code == 200
    assert client.get(f"/rectification/export.xlsx?street={world.s1.id}").status_code == 403  # no areas for companies
    login("street1")
    ws, top = sheet(client.get(f"/rectification/export.xlsx?company={world.c2.id}").data)
    assert set(rows_by_id(ws, top)) == {other.id}
    assert client.get(f"/rectification/export.xlsx?company={world.c3.id}").status_code == 404  # only in 龙山路
    assert client.get(f"/rectification/export.xlsx?street={world.s3.id}").status_code == 403
    assert client.get(f"/rectification/export.xlsx?community={world.k4.community_id}").status_code == 403
    assert client.get("/rectification/export.xlsx?street=abc").status_code == 400
    ws, top = sheet(client.get(f"/rectification/export.xlsx?community={world.k1.community_id}").data)
    assert set(rows_by_id(ws, top)) == {mine.id, other.id}
    assert "范围：幸福社区" in ws.cell(row=2, column=1).value
    db.session.expire_all()
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.rectification")).all()
    assert any("幸福社区 2 条" in e.detail for e in exported)  # every download is in the audit trail


def test_old_address_redirects_keeping_the_campaign(client, world, login):
    login("street1")
    resp = client.get(f"/office/rectification.xlsx?campaign={world.campaign.id}")
    assert resp.status_code == 308
    assert resp.headers["Location"].endswith(f"/rectification/export.xlsx?campaign={world.campaign.id}")


def test_import_page_links_the_workbook_and_states_the_limits(client, world, login, db):
    login("company1")
    page = client.get("/rectification/import").data.decode()
    assert "/rectification/export.xlsx" in page and "只检查，不导入" in page and "MB" in page


def test_company_imports_its_own_items_dry_run_first(client, world, login, db):
    mine, other, _far = _items(world, db)
    login("company1")
    data = edit(client.get("/rectification/export.xlsx").data, {mine.id: {"状态": "待核验",
                                                                         "整改情况/说明": "已修好楼道灯"}})
    resp = _upload(client, data, dry_run=True)
    assert resp.status_code == 200 and "检查通过（试运行，未写入）" in resp.data.decode()
    assert db.session.get(RectificationItem, mine.id).status == "assigned"
    resp = _upload(client, data)
    assert resp.status_code == 200 and "导入完成" in resp.data.decode()
    db.session.expire_all()
    assert db.session.get(RectificationItem, mine.id).status == "submitted"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "rectification.import")) == 1


def test_refused_rows_are_listed_and_nothing_is_applied(client, world, login, db):
    mine, other, _far = _items(world, db)
    login("company1")
    data = edit(client.get("/rectification/export.xlsx").data, {mine.id: {"状态": "已整改（核验通过）"}})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[workbook.SHEET]
    ws.append([other.id] + [None] * 13 + ["整改中"])
    out = io.BytesIO()
    wb.save(out)
    resp = _upload(client, out.getvalue())
    page = resp.data.decode()
    assert resp.status_code == 422
    assert "文件未导入：发现 2 处问题" in page
    assert "您不能把整改事项改为“已整改（核验通过）”。" in page
    assert f"编号 {other.id} 的整改事项不存在或不在您的范围内。" in page
    top = header_row(ws, "编号")
    assert f'<td class="n">{top + 1}</td><td>状态</td>' in page and f'<td class="n">{ws.max_row}</td><td>编号</td>' in page
    db.session.expire_all()
    assert [db.session.get(RectificationItem, i.id).status for i in (mine, other)] == ["assigned", "assigned"]
    assert db.session.scalar(select(func.count()).select_from(RectificationEvent)) == 0


def test_officer_verifies_by_import(client, world, login, db):
    _mine, _other, far = _items(world, db)
    login("street3")
    data = edit(client.get("/rectification/export.xlsx").data, {far.id: {"状态": "已整改（核验通过）"}})
    assert _upload(client, data).status_code == 200
    db.session.expire_all()
    assert db.session.get(RectificationItem, far.id).status == "verified"


def test_broken_files_are_a_400_page_in_chinese(client, world, login, db):
    _items(world, db)
    login("company1")
    for data, message in ((b"just some text, renamed", "文件无法作为 Excel（.xlsx）打开"),
                          (b"PK\x03\x04 broken zip", "文件无法作为 Excel（.xlsx）打开")):
        resp = _upload(client, data)
        assert resp.status_code == 400 and message in resp.data.decode()
    resp = client.post("/rectification/import", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "请选择要导入的 Excel 文件。" in resp.data.decode()


def test_residents_and_anonymous_users_cannot_use_the_pages(client, world):
    assert client.get("/rectification/import").status_code == 302  # to the login page
    assert client.get("/rectification/export.xlsx").status_code == 302


def test_libreoffice_opens_the_export_and_keeps_the_list(client, world, login, db, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        need("LibreOffice (soffice) is not installed")
    _items(world, db)
    login("city")
    src = tmp_path / "rect.xlsx"
    src.write_bytes(client.get("/rectification/export.xlsx").data)
    out = tmp_path / "out"
    res = subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                          "--convert-to", "ods", "--outdir", str(out), str(src)],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0 and (out / "rect.ods").exists(), res.stdout + res.stderr
    back = tmp_path / "back"
    res = subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                          "--convert-to", "xlsx", "--outdir", str(back), str(out / "rect.ods")],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    ws = openpyxl.load_workbook(back / "rect.xlsx")[workbook.SHEET]
    top = header_row(ws, "编号")
    assert [c.value for c in ws[top]] == workbook.HEADERS
    assert len(rows_by_id(ws, top)) == 3
    assert any(dv.type == "list" for dv in ws.data_validations.dataValidation)
