"""The audit log pages: each admin sees their own jurisdiction's events, filtered, paged, exported
safely, and security events counted over time."""
from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from survey_app.domain import audit
from survey_app.domain.clock import now
from survey_app.models import AuditEvent

from ..sheets import header_row, table, title_block


def _event(action="campaign.settings", target="campaign:1", where=None, category=audit.STAFF, at=None, **kw):
    e = audit.record(action, target, where=where, category=category, actor=kw.pop("actor", "someone"), **kw)
    if at is not None:
        e.at = at
    return e


@pytest.fixture
def events(world, db):
    """One event in each jurisdiction: the city, east district, street s1, street s2, west street s3."""
    east, west = world.east.id, world.west.id
    _event(target="city-wide", detail="全市事件")
    _event(target="east-district", detail="东城区事件", where=audit.Jurisdiction(district_id=east))
    _event(target="east-s1", detail="文化路街道事件", where=audit.Jurisdiction(east, world.s1.id))
    _event(target="east-s2", detail="光明路街道事件", where=audit.Jurisdiction(east, world.s2.id))
    _event(target="west-s3", detail="龙山路街道事件", where=audit.Jurisdiction(west, world.s3.id),
           before={"status": "draft"}, after={"status": "open"})
    db.session.commit()


def _page(client, **args):
    resp = client.get("/office/audit/", query_string=args)
    assert resp.status_code == 200, resp.data.decode()[:300]
    return resp.data.decode()


@pytest.mark.parametrize("who, seen, unseen", [
    ("city", {"city-wide", "east-district", "east-s1", "east-s2", "west-s3"}, set()),
    ("district", {"east-district", "east-s1", "east-s2"}, {"city-wide", "west-s3"}),
    ("street1", {"east-s1"}, {"city-wide", "east-district", "east-s2", "west-s3"}),
    ("street3", {"west-s3"}, {"city-wide", "east-district", "east-s1", "east-s2"}),
])
def test_each_admin_sees_only_their_jurisdictions_events(client, login, events, who, seen, unseen):
    login(who)
    page = _page(client)
    for target in seen:
        assert target in page
    for target in unseen:
        assert target not in page
    export = openpyxl.load_workbook(io.BytesIO(client.get("/office/audit/audit.xlsx").data))
    targets = {row[6] for row in table(export["审计日志"], "时间")[1]}
    assert seen <= targets and not (unseen & targets)


@pytest.mark.parametrize("who", ["grid1", "company1"])
def test_grid_workers_and_companies_are_refused(client, login, events, who):
    login(who)
    for url in ("/office/audit/", "/office/audit/audit.xlsx", "/office/audit/security"):
        assert client.get(url).status_code == 403
    assert "/office/audit/" not in client.get("/office/participation" if who == "grid1" else "/company/").data.decode()


def test_anonymous_is_sent_to_login(client, events):
    resp = client.get("/office/audit/")
    assert resp.status_code in (302, 401)


def test_nav_link_only_for_admins(client, login, events):
    login("city")
    assert 'href="/office/audit/"' in client.get("/office/participation").data.decode()


def test_filters(client, login, world, db):
    old = now() - timedelta(days=10)
    _event("campaign.open", "campaign:7", actor="alice", detail="开启", at=old)
    _event("codes.issued", "household:42", actor="bob", detail="发码")
    _event("login.failed", "mallory", category=audit.SECURITY, actor="mallory", detail="密码错误")
    db.session.commit()
    login("city")
    assert "campaign:7" in _page(client, action="campaign.open") and "household:42" not in _page(client, action="campaign.open")
    by_actor = _page(client, actor="BO")
    assert "household:42" in by_actor and "campaign:7" not in by_actor
    security = _page(client, category="security")
    assert "mallory" in security and "household:42" not in security
    staff = _page(client, category="staff")
    assert "household:42" in staff and "登录失败" not in staff.split("<tbody>")[1]
    search = _page(client, q="household:4")
    assert "household:42" in search and "campaign:7" not in search
    recent = _page(client, start=(now() - timedelta(days=2)).date().isoformat())
    assert "household:42" in recent and "campaign:7" not in recent
    ranged = _page(client, start=old.date().isoformat(), end=old.date().isoformat())
    assert "campaign:7" in ranged and "household:42" not in ranged
    like = _page(client, q="%")  # a LIKE wildcard is searched for, not obeyed
    assert "campaign:7" not in like and "household:42" not in like
    for bad in ({"start": "2026-13-01"}, {"end": "not a date"}, {"start": "２０２６-０１-０１"},
                {"start": "2026-02-01", "end": "2026-01-01"}, {"category": "nope"}, {"page": "x"}):
        resp = client.get("/office/audit/", query_string=bad)
        assert resp.status_code == 400, bad


def test_paging_newest_first(client, login, world, db):
    base = now() + timedelta(hours=1)  # newer than the login, which is an event too
    for i in range(120):
        _event("campaign.settings", f"t-{i:03d}", at=base + timedelta(seconds=i))
    db.session.commit()
    login("city")
    first, third = _page(client), _page(client, page=3)
    assert "t-119" in first and "t-070" in first and "t-069" not in first
    assert "共 121 条" in first
    assert "t-000" in third and "t-019" in third and "t-020" not in third
    assert "t-000" in _page(client, page=99)  # beyond the last page: the last page
    assert first.index("t-119") < first.index("t-118")


def test_before_and_after_are_shown_readably(client, login, world, db):
    _event("campaign.settings", "campaign:9", before={"name": "旧名称", "min_responses": 5},
           after={"name": "新名称", "min_responses": 8})
    db.session.commit()
    login("city")
    page = _page(client, q="campaign:9")
    assert "修改活动设置" in page and "旧名称" in page and "新名称" in page and "最少有效答卷数" in page


def test_export_has_no_formula_cell_and_is_itself_audited(client, login, world, db):
    hostile = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2", "@SUM(A1)", "＝1", "\t=1", " =1"]
    for i, text in enumerate(hostile):
        _event("campaign.settings", text[:80], actor=text, detail=text, before={"name": text}, after={"name": text},
               where=audit.Jurisdiction(district_id=world.east.id))
    db.session.commit()
    login("district")
    resp = client.get("/office/audit/audit.xlsx", query_string={"category": "staff"})
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["审计日志"]
    top = header_row(ws, "时间")
    assert ws.max_row >= top + len(hostile)
    assert title_block(ws, top)[0] == "审计日志" and "制表单位：东城区" in title_block(ws, top)[-1]
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "＝")), cell.value
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.audit"))
    assert exported is not None and exported.actor == "district" and exported.district_id == world.east.id


def test_security_page_counts_over_time(client, login, world, db):
    t = now()
    for hours_ago, action in ((0, "login.failed"), (0, "login.failed"), (1, "code.unknown"), (30, "rate_limited"),
                              (24 * 10, "refused"), (24 * 40, "refused")):
        _event(action, "x", category=audit.SECURITY, at=t - timedelta(hours=hours_ago))
    _event("campaign.open", "x", at=t)  # a staff action is not a security event
    db.session.commit()
    login("city")
    resp = client.get("/office/audit/security")
    page = resp.data.decode()
    assert resp.status_code == 200 and "<svg" in page and "<rect" in page
    hours, days = page.split("最近30天（每天）")[0], page.split("最近30天（每天）")[1]
    assert "登录失败（2）" in hours and "无效的住户二维码（1）" in hours and "请求过于频繁被限制（1）" in hours
    assert "越权访问被拒绝" not in hours.split("</h1>")[1].split("</p>", 1)[1]
    assert "登录失败（2）" in days and "越权访问被拒绝（1）" in days  # the one 40 days ago is outside
    login("district")
    assert "这段时间没有安全事件" in client.get("/office/audit/security").data.decode()
