"""Roster import: messy files accepted, bad rows refused all-or-nothing, re-import idempotent."""
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from survey_app.domain import roster
from survey_app.models import Building, Compound, Household

H = roster.TEMPLATE_HEADERS


def xlsx(rows, headers=H, title=None, notes_first=False, two_row_header=False) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    if notes_first:
        ws.title = "说明"
        ws.append(["本表为住户花名册"])
        ws = wb.create_sheet("花名册")
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    if two_row_header:
        top = ["区", "街道", "社区", "网格", "小区", "地址", None, None, "物业服务企业"]
        ws.append(top)
        ws.append([None, None, None, None, None, "楼栋", "单元", "房号", None])
        r = ws.max_row
        for col in (1, 2, 3, 4, 5, 9):
            ws.merge_cells(start_row=r - 1, start_column=col, end_row=r, end_column=col)
        ws.merge_cells(start_row=r - 1, start_column=6, end_row=r - 1, end_column=8)
    else:
        ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    ws.append([None] * len(headers))
    ws.append([None] * len(headers))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(compound="新城花园", building="1号楼", unit="1", room="101", company="", street="文化路街道",
        district="东城区", community="幸福社区", grid="第一网格"):
    return [district, street, community, grid, compound, building, unit, room, company]


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_messy_values_that_mean_the_same_are_accepted(world, db):
    before = count(db, Household)
    data = xlsx([
        row(building=" 3 ", unit="２", room="５０１", district=" 东城区 "),
        row(building=3.0, unit=2.0, room=502.0),
        row(building="3栋", unit="2单元", room="503室"),
        row(building="３号楼", unit="2", room="504"),
        row(building="3号楼", unit=" 2 ", room="  505\u3000"),
    ], title="文化路街道住户花名册（2026年11月）", notes_first=True)
    result = roster.import_roster(data)
    assert result.ok, [str(e) for e in result.errors]
    db.session.commit()
    assert result.sheet == "花名册"
    assert count(db, Household) == before + 5
    buildings = db.session.scalars(select(Building.name).join(Compound).where(Compound.name == "新城花园")).all()
    assert buildings == ["3号楼"]
    rooms = db.session.scalars(select(Household.room).join(Compound, Compound.id == Household.compound_id)
                               .where(Compound.name == "新城花园").order_by(Household.room)).all()
    assert rooms == ["501", "502", "503", "504", "505"]
    units = db.session.scalars(select(Household.unit).join(Compound, Compound.id == Household.compound_id)
                               .where(Compound.name == "新城花园"))
    assert set(units) == {"2"}


def test_two_row_merged_header_is_understood(world, db):
    result = roster.import_roster(xlsx([row(room="901")], two_row_header=True))
    assert result.ok, [str(e) for e in result.errors]


@pytest.mark.parametrize("bad, column, reason", [
    (row(building=""), "楼栋", "缺少楼栋"),
    (row(room=None), "房号", "缺少房号"),
    (row(street="不存在街道"), "街道", "未知的街道"),
    (row(district="火星区"), "区", "未知的区"),
    (row(compound="金色花园", company="乙物业服务有限公司"), "物业服务企业", "当前的物业服务企业是「甲物业服务有限公司」"),
    (row(compound="x" * 80), "小区", "内容过长"),
])
def test_one_bad_row_imports_nothing_and_says_where_and_why(world, db, bad, column, reason):
    before = count(db, Household), count(db, Compound)
    data = xlsx([row(room="101"), row(room="102"), bad, row(room="103")])
    result = roster.import_roster(data)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(4, column)]
    assert reason in result.errors[0].reason
    assert "第 4 行" in str(result.errors[0])
    db.session.rollback()
    assert (count(db, Household), count(db, Compound)) == before


def test_duplicates_and_conflicting_companies_inside_the_file(world, db):
    data = xlsx([row(room="101", company="丁物业"), row(room="102", company="戊物业"), row(room="1０1")])
    result = roster.import_roster(data)
    got = {(e.row, e.column): e.reason for e in result.errors}
    assert "与第 2 行是同一户" in got[(4, "房号")]
    assert "第 2 行填的是「丁物业」" in got[(3, "物业服务企业")]


def test_reimport_is_idempotent_and_applies_changes(world, db):
    first = roster.import_roster(xlsx([row(room=str(r), company="丁物业服务有限公司") for r in (101, 102, 103)]))
    db.session.commit()
    assert first.added["households"] == 3 and first.added["compounds"] == 1 and first.added["companies"] == 1
    again = roster.import_roster(xlsx([row(room=str(r), company="丁物业服务有限公司") for r in (101, 102, 103)]))
    db.session.commit()
    assert again.added["households"] == 0 and again.unchanged == 3 and "未变：3 户" in again.summary()
    updated = roster.import_roster(xlsx([row(room=str(r), grid="第二网格") for r in (101, 102, 103, 104)]))
    db.session.commit()
    assert updated.added["households"] == 1 and updated.changed["grids"] == 1 and updated.unchanged == 3
    assert db.session.scalar(select(Building.grid).join(Compound).where(Compound.name == "新城花园")) == "第二网格"
    assert count(db, Household) == 130 + 4


def test_dry_run_writes_nothing(world, db):
    before = count(db, Household), count(db, Compound)
    result = roster.import_roster(xlsx([row(room="101"), row(room="102")]), dry_run=True)
    assert result.ok and result.added["households"] == 2 and "试运行" in result.summary()
    db.session.commit()
    assert (count(db, Household), count(db, Compound)) == before


def test_files_that_are_not_rosters_are_refused_clearly(world, db):
    for data, words in [(b"not a zip", "无法作为 Excel"), (b"PK\x03\x04broken", "无法作为 Excel"),
                        (xlsx([["a", "b"]], headers=["姓名", "电话"]), "没有找到表头"),
                        (xlsx([], headers=["区", "街道", "社区", "小区"]), "缺少这些列：楼栋、房号")]:
        with pytest.raises(roster.RosterFileError, match=words):
            roster.import_roster(data)


def test_template_round_trips(world, db):
    wb = openpyxl.load_workbook(io.BytesIO(roster.template_workbook()))
    assert [c.value for c in wb.active[1]] == H
    # The example row names a district that the test world lacks: a clear error, not a crash.
    result = roster.import_roster(roster.template_workbook())
    assert not result.ok and "未知的区" in result.errors[0].reason
