"""The roster page and CLI: upload, errors on the page and in the terminal, jurisdiction."""
import io

import openpyxl
from sqlalchemy import func, select

from survey_app.models import AuditEvent, Household

from ..domain.test_roster import row, xlsx


def _upload(client, data, **form):
    return client.post("/office/roster/", data={"file": (io.BytesIO(data), "花名册.xlsx"), **form},
                       content_type="multipart/form-data")


def _households(db):
    return db.session.scalar(select(func.count()).select_from(Household))


def test_officer_imports_a_roster_and_sees_a_summary(client, world, login, db):
    login("street1")
    page = client.get("/office/roster/").data.decode()
    assert "下载导入模板" in page and "导入住户花名册" in page
    tpl = client.get("/office/roster/template.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(tpl.data)).active["A1"].value == "区"
    resp = _upload(client, xlsx([row(room="101"), row(room="102")]))
    assert resp.status_code == 200 and "导入完成：共 2 行" in resp.data.decode()
    assert _households(db) == 132
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.import"))
    assert event is not None and event.actor and event.street_id is not None and event.after


def test_bad_rows_are_listed_on_the_page_and_nothing_is_imported(client, world, login, db):
    login("street1")
    resp = _upload(client, xlsx([row(room="101"), row(building=""), row(street="无名街道")]))
    html = resp.data.decode()
    assert resp.status_code == 422 and "文件未导入：发现 2 处问题" in html
    assert "缺少楼栋" in html and "未知的街道「无名街道」" in html
    assert _households(db) == 130


def test_officer_cannot_import_outside_their_jurisdiction(client, world, login, db):
    login("street1")
    resp = _upload(client, xlsx([row(room="101"), row(street="龙山路街道", district="西城区", community="和谐社区")]))
    assert resp.status_code == 422 and "不在您的辖区内" in resp.data.decode()
    assert _households(db) == 130
    client.post("/logout")
    login("company1")
    assert _upload(client, xlsx([row()])).status_code == 403


def test_broken_or_missing_files_get_a_clear_400(client, world, login):
    login("street1")
    resp = _upload(client, b"\x00\x01 not excel")
    assert resp.status_code == 400 and "无法作为 Excel" in resp.data.decode()
    resp = client.post("/office/roster/", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "请选择" in resp.data.decode()


def test_dry_run_from_the_page(client, world, login, db):
    login("street1")
    resp = _upload(client, xlsx([row(room="101")]), dry_run="yes")
    assert "试运行" in resp.data.decode() and _households(db) == 130


def test_cli_import_reports_errors_with_non_zero_exit(runner, world, db, tmp_path):
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(xlsx([row(room="101"), row(room="102")]))
    bad.write_bytes(xlsx([row(room="101"), row(unit="1", room="")]))
    res = runner.invoke(args=["roster", "import", str(bad)])
    assert res.exit_code == 1 and "第 3 行「房号」列：缺少房号" in res.output
    res = runner.invoke(args=["roster", "import", str(good), "--dry-run"])
    assert res.exit_code == 0 and "试运行" in res.output and _households(db) == 130
    res = runner.invoke(args=["roster", "import", str(good)])
    assert res.exit_code == 0 and "住户 2" in res.output
    res = runner.invoke(args=["roster", "import", str(good)])
    assert "未变：2 户" in res.output and _households(db) == 132
    out = tmp_path / "tpl.xlsx"
    assert runner.invoke(args=["roster", "template", str(out)]).exit_code == 0
    assert openpyxl.load_workbook(out).active["H1"].value == "房号"
