"""The rectification workbook both ways: what the export writes (figures as numbers, dates as dates,
a state column that offers only states, overdue rows filled), and the import's moves and refusals."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select, update

from survey_app.access import rectification_clause
from survey_app.domain.clock import now
from survey_app.domain.rectification import sheet_import
from survey_app.domain.stats.company_report import company_report
from survey_app.domain.xlsx.company import company_workbook
from survey_app.domain.xlsx import rectification as workbook
from survey_app.models import AuditEvent, RectificationEvent, RectificationItem, User

from ..sheets import header_row, title_block

STATUS = {"open": "待派发", "assigned": "已派发", "in_progress": "整改中", "submitted": "待核验",
          "returned": "已退回", "verified": "已整改（核验通过）", "closed": "已关闭（未整改）"}


def add_item(w, db, compound, company, status, *, deadline=None, key=None, note=None, missed=False):
    dim = w.campaign.dimensions[0]
    item = RectificationItem(campaign_id=w.campaign.id, compound_id=compound.id, company_id=company.id,
                             dimension_id=dim.id, category=dim.name, category_key=key or f"{dim.key}-{status}",
                             evidence="环境卫生得分 42.5，低于 60", score=42.54, rate=0.375, respondents=24, share=0.25,
                             deadline=deadline, status=status, created_at=datetime(2026, 11, 2, 9, 30), note=note,
                             deadline_missed=missed)
    db.session.add(item)
    db.session.commit()
    return item


def user(db, username):
    return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture
def items(world, db):
    """Items of 甲物业 (金色花园, 翡翠名苑) and one of 乙物业 (碧水家园), in several states."""
    soon, past = now().date() + timedelta(days=10), now().date() - timedelta(days=3)
    return {
        "assigned": add_item(world, db, world.k1, world.c1, "assigned", deadline=soon),
        "late": add_item(world, db, world.k3, world.c1, "in_progress", deadline=past),
        "returned": add_item(world, db, world.k1, world.c1, "returned", deadline=soon),
        "submitted": add_item(world, db, world.k1, world.c1, "submitted", deadline=soon),
        "open": add_item(world, db, world.k1, world.c1, "open"),
        "other": add_item(world, db, world.k2, world.c2, "assigned", deadline=soon),
    }


def export(db, world, username, **filters) -> bytes:
    u = user(db, username)
    data, _count = workbook.rectification_workbook(
        workbook.Filters(world.campaign.id, rectification_clause(u), **filters), world.campaign.name, "测试范围",
        "测试单位")
    return data


def sheet(data: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[workbook.SHEET]
    top = header_row(ws, "编号")
    return ws, top


def rows_by_id(ws, top) -> dict[int, int]:
    return {ws.cell(row=r, column=1).value: r for r in range(top + 1, ws.max_row + 1) if ws.cell(row=r, column=1).value}


def edit(data: bytes, changes: dict[int, dict[str, object]]) -> bytes:
    """The workbook with some cells rewritten, as a person would in a spreadsheet (by item id and header)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[workbook.SHEET]
    top = header_row(ws, "编号")
    col = {c.value: c.column for c in ws[top]}
    at = rows_by_id(ws, top)
    for item_id, cells in changes.items():
        for header, value in cells.items():
            ws.cell(row=at[item_id], column=col[header]).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def states(db, *items_) -> list[str]:
    db.session.expire_all()
    return [db.session.get(RectificationItem, i.id).status for i in items_]


# ---------------------------------------------------------------- export

def test_export_writes_numbers_dates_a_state_list_and_fills_overdue_rows(world, db, items, app):
    ws, top = sheet(export(db, world, "street1"))
    assert [c.value for c in ws[top]] == workbook.HEADERS
    assert title_block(ws, top)[:2] == ["整改清单", f"范围：测试范围　测评活动：{world.campaign.name}"]
    at = rows_by_id(ws, top)
    assert set(at) == {i.id for i in items.values()} - {items["late"].id}  # 翡翠名苑 lies in another street
    col = {c.value: c.column for c in ws[top]}
    row = at[items["assigned"].id]
    score, rate, share = (ws.cell(row=row, column=col[h]) for h in ("维度得分", "满意率", "反映比例"))
    assert (score.value, score.number_format) == (42.5, "0.0")
    assert (rate.value, rate.number_format) == (0.375, "0.0%") and share.value == 0.25
    assert ws.cell(row=row, column=col["作答户数"]).value == 24
    deadline = ws.cell(row=row, column=col["整改期限"])
    assert isinstance(deadline.value, datetime) and deadline.is_date
    assert deadline.value.date() == items["assigned"].deadline
    assert ws.cell(row=row, column=col["提出日期"]).value == datetime(2026, 11, 2)
    assert ws.cell(row=row, column=col["状态"]).value == "已派发"
    assert ws.cell(row=row, column=col["物业服务企业"]).value == "甲物业服务有限公司"
    # the state column offers only the states, on every data row
    dvs = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(dvs) == 1
    listed = dvs[0].formula1.strip('"').split(",")
    assert listed == list(STATUS.values())
    letter = openpyxl.utils.get_column_letter(col["状态"])
    assert str(dvs[0].sqref) == f"{letter}{top + 1}:{letter}{top + len(at)}"
    assert dvs[0].showErrorMessage and dvs[0].errorStyle == "stop"


def test_overdue_rows_are_filled_and_marked(world, db, items):
    ws, top = sheet(export(db, world, "company1"))
    at = rows_by_id(ws, top)
    col = {c.value: c.column for c in ws[top]}
    late, fine = at[items["late"].id], at[items["assigned"].id]
    assert ws.cell(row=late, column=col["是否逾期"]).value == "是"
    assert ws.cell(row=late, column=col["曾逾期"]).value == "是"
    assert ws.cell(row=fine, column=col["是否逾期"]).value == "否"
    # every row whose 是否逾期 says 是 is filled (a conditional format over the whole table)
    (cf,) = list(ws.conditional_formatting)
    last = openpyxl.utils.get_column_letter(len(col))
    assert str(cf.sqref) == f"A{top + 1}:{last}{top + len(at)}"
    letter = openpyxl.utils.get_column_letter(col["是否逾期"])
    (rule,) = cf.rules
    assert rule.formula == [f'${letter}{top + 1}="是"'] and rule.dxf.fill.bgColor.rgb.endswith("FCE4D6")
    assert items["other"].id not in at  # 乙物业's item: not in 甲物业's workbook


def test_export_filters_by_street_community_and_company(world, db, items):
    ws, top = sheet(export(db, world, "city", street_id=world.s2.id))
    assert set(rows_by_id(ws, top)) == {items["late"].id}
    ws, top = sheet(export(db, world, "city", company_id=world.c2.id))
    assert set(rows_by_id(ws, top)) == {items["other"].id}
    ws, top = sheet(export(db, world, "city", community_id=world.k1.community_id))
    assert items["other"].id in rows_by_id(ws, top) and items["late"].id not in rows_by_id(ws, top)


# ---------------------------------------------------------------- import

def test_round_trip_company_starts_one_item_and_submits_another(world, db, items, app):
    c1 = user(db, "company1")
    data = edit(export(db, world, "company1"), {
        items["assigned"].id: {"状态": "整改中"},
        items["returned"].id: {"状态": "待核验", "整改情况/说明": "已清理楼道杂物，更换了垃圾桶"},
    })
    result = sheet_import.import_items(data, c1, dry_run=False)
    db.session.commit()
    assert result.ok, [str(e) for e in result.errors]
    assert result.moves == {"start": 1, "submit": 1} and result.unchanged == 3
    assert states(db, items["assigned"], items["returned"]) == ["in_progress", "submitted"]
    events = db.session.scalars(select(RectificationEvent).where(RectificationEvent.item_id == items["returned"].id)).all()
    assert [(e.from_state, e.to_state, e.note, e.actor, e.user_id) for e in events] == [
        ("returned", "submitted", "已清理楼道杂物，更换了垃圾桶", "import", c1.id)]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "rectification.import")) == 1


def test_dry_run_reports_the_moves_and_applies_nothing(world, db, items):
    data = edit(export(db, world, "company1"), {items["assigned"].id: {"状态": "整改中"}})
    result = sheet_import.import_items(data, user(db, "company1"), dry_run=True)
    db.session.commit()
    assert result.ok and result.dry_run and result.moves == {"start": 1}
    assert "试运行" in result.summary()
    assert states(db, items["assigned"]) == ["assigned"]
    assert db.session.scalar(select(func.count()).select_from(RectificationEvent)) == 0


def refused(world, db, username, changes, exported_as=None):
    before = states(db, *items_of(db))
    data = edit(export(db, world, exported_as or username), changes)
    result = sheet_import.import_items(data, user(db, username), dry_run=False)
    db.session.commit()
    assert states(db, *items_of(db)) == before  # nothing applied
    assert db.session.scalar(select(func.count()).select_from(RectificationEvent)) == 0
    return [(e.row, e.column, e.reason) for e in result.errors]


def items_of(db):
    return db.session.scalars(select(RectificationItem).order_by(RectificationItem.id)).all()


def test_each_refused_row_is_reported_with_row_column_and_reason_and_nothing_is_applied(world, db, items):
    ws, top = sheet(export(db, world, "company1"))
    at = rows_by_id(ws, top)
    errors = refused(world, db, "company1", {
        items["assigned"].id: {"状态": "整改中"},  # fine on its own
        items["returned"].id: {"状态": "差不多了"},  # not a state
        items["submitted"].id: {"状态": "已整改（核验通过）"},  # a company may not verify
        items["late"].id: {"状态": "待核验"},  # a submit needs words
        items["open"].id: {"状态": "整改中"},  # not from 待派发
    })
    assert errors == sorted([
        (at[items["returned"].id], "状态", "“差不多了”不是有效的状态，请从下拉列表中选择。"),
        (at[items["submitted"].id], "状态", "您不能把整改事项改为“已整改（核验通过）”。"),
        (at[items["late"].id], "整改情况/说明", "“提交核验”需要填写整改情况或原因。"),
        (at[items["open"].id], "状态", "该整改事项目前为“待派发”，不能改为“整改中”。"),
    ])


def test_someone_elses_item_and_an_unknown_id_are_refused(world, db, items):
    data = edit(export(db, world, "company1"), {items["assigned"].id: {"状态": "整改中"}})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[workbook.SHEET]
    ws.append([items["other"].id] + [None] * 13 + ["整改中"])  # 乙物业's item, written in by hand
    ws.append([999_999] + [None] * 13 + ["整改中"])
    ws.append(["十二"] + [None] * 13 + ["整改中"])
    out = io.BytesIO()
    wb.save(out)
    result = sheet_import.import_items(out.getvalue(), user(db, "company1"), dry_run=False)
    db.session.commit()
    n = ws.max_row
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (n - 2, "编号", f"编号 {items['other'].id} 的整改事项不存在或不在您的范围内。"),
        (n - 1, "编号", "编号 999999 的整改事项不存在或不在您的范围内。"),
        (n, "编号", "编号无效：请勿修改编号列。"),
    ]
    assert states(db, items["assigned"], items["other"]) == ["assigned", "assigned"]


def test_officer_import_verifies_returns_assigns_with_a_deadline_and_notes(world, db, items):
    deadline = now().date() + timedelta(days=20)
    data = edit(export(db, world, "street1"), {
        items["submitted"].id: {"状态": "已整改（核验通过）"},
        items["open"].id: {"状态": "已派发", "整改期限": deadline},
        items["other"].id: {"整改情况/说明": "已电话督促", "备注": "下周复查"},
    })
    result = sheet_import.import_items(data, user(db, "street1"), dry_run=False)
    db.session.commit()
    assert result.ok, [str(e) for e in result.errors]
    assert result.moves == {"assign": 1, "verify": 1, "note": 1}
    db.session.expire_all()
    assert states(db, items["submitted"], items["open"]) == ["verified", "assigned"]
    assert db.session.get(RectificationItem, items["open"].id).deadline == deadline
    other = db.session.get(RectificationItem, items["other"].id)
    assert other.note == "下周复查"
    notes = [e.note for e in db.session.scalars(select(RectificationEvent)
                                                .where(RectificationEvent.item_id == other.id))]
    assert notes == ["已电话督促", "备注改为：下周复查"]

    # sending back needs a reason; with one it is made
    assert refused_once(world, db, "street1", {items["assigned"].id: {"状态": "已退回"}}) == [
        ("状态", "该整改事项目前为“已派发”，不能改为“已退回”。")]


def refused_once(world, db, username, changes):
    data = edit(export(db, world, username), changes)
    result = sheet_import.import_items(data, user(db, username), dry_run=False)
    db.session.rollback()
    return [(e.column, e.reason) for e in result.errors]


def test_officer_returns_with_a_reason_and_refuses_without(world, db, items):
    assert refused_once(world, db, "street1", {items["submitted"].id: {"状态": "已退回"}}) == [
        ("整改情况/说明", "“退回重新整改”需要填写整改情况或原因。")]
    data = edit(export(db, world, "street1"), {items["submitted"].id: {"状态": "已退回", "整改情况/说明": "垃圾桶仍未更换"}})
    result = sheet_import.import_items(data, user(db, "street1"), dry_run=False)
    db.session.commit()
    assert result.ok and states(db, items["submitted"]) == ["returned"]


def test_a_deadline_changed_without_an_assignment_and_a_past_deadline_are_refused(world, db, items):
    later = now().date() + timedelta(days=40)
    assert refused_once(world, db, "street1", {items["assigned"].id: {"整改期限": later}}) == [
        ("整改期限", "只有交办时可以填写整改期限；其他时候请勿修改此列。")]
    assert refused_once(world, db, "street1", {items["open"].id: {"状态": "已派发",
                                                                 "整改期限": date(2020, 1, 1)}}) == [
        ("整改期限", "整改期限不能早于今天。")]
    assert refused_once(world, db, "street1", {items["open"].id: {"状态": "已派发", "整改期限": "下个月"}}) == [
        ("整改期限", "不是有效的日期（请写成 2026-12-31 这样的日期）。")]


def test_a_grid_worker_may_only_add_notes(world, db, items):
    assert refused_once(world, db, "grid1", {items["submitted"].id: {"状态": "已整改（核验通过）"}}) == [
        ("状态", "您不能把整改事项改为“已整改（核验通过）”。")]
    data = edit(export(db, world, "grid1"), {items["submitted"].id: {"整改情况/说明": "现场看过，已清理"}})
    result = sheet_import.import_items(data, user(db, "grid1"), dry_run=False)
    db.session.commit()
    assert result.ok and result.moves == {"note": 1}


@pytest.mark.parametrize("data, message", [
    (b"this is text renamed .xlsx", "文件无法作为 Excel（.xlsx）打开"),
    (b"", "文件是空的"),
])
def test_a_broken_file_is_refused_as_a_whole(world, db, items, data, message):
    with pytest.raises(sheet_import.SheetFileError) as e:
        sheet_import.import_items(data, user(db, "company1"), dry_run=False)
    assert message in e.value.message and e.value.status == 400


def test_a_workbook_without_the_columns_is_refused(world, db, items):
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "状态"])
    wb.active.append([items["assigned"].id, "整改中"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(sheet_import.SheetFileError) as e:
        sheet_import.import_items(out.getvalue(), user(db, "company1"), dry_run=False)
    assert "缺少这些列：整改情况/说明" in e.value.message


def test_the_company_workbook_gains_its_items(world, db, items, app):
    with app.test_request_context():
        data = company_workbook(company_report(world.campaign, world.c1.id), world.c1.name, now(), office="甲物业",
                                items=workbook.Filters(world.campaign.id, rectification_clause(user(db, "company1"))))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["整改事项"]
    top = header_row(ws, "编号")
    assert [c.value for c in ws[top]] == workbook.COMPANY_SHEET_HEADERS
    assert set(rows_by_id(ws, top)) == {i.id for k, i in items.items() if k != "other"}


def test_items_are_checked_again_under_the_write_lock(world, db, items, monkeypatch):
    """An item moved by someone else between the check and the lock: the row is refused, nothing applied."""
    data = edit(export(db, world, "company1"), {items["assigned"].id: {"状态": "整改中"},
                                                items["returned"].id: {"状态": "整改中"}})
    take = sheet_import.begin_write

    def meanwhile():
        take()
        db.session.execute(update(RectificationItem).where(RectificationItem.id == items["assigned"].id)
                           .values(status="closed"))  # closed by an officer while the file was parsed
    monkeypatch.setattr(sheet_import, "begin_write", meanwhile)
    result = sheet_import.import_items(data, user(db, "company1"), dry_run=False)
    assert [(e.column, e.reason) for e in result.errors] == [
        ("状态", "该整改事项目前为“已关闭（未整改）”，不能改为“整改中”。")]
    assert states(db, items["returned"]) == ["returned"]
    assert db.session.scalar(select(func.count()).select_from(RectificationEvent)) == 0
