"""Household rosters from Excel: read messy sheets, validate every row, import all or nothing."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import bindparam, insert, select, update

from ..database import begin_write
from ..errors import Invalid
from ..extensions import db
from ..models import Building, Community, Company, Compound, District, Household, Street
from . import audit
from .bulk import insert_rows
from .documents import in_chinese
from .responses import totals
from .xlsx.common import to_bytes, write_table
from .xlsx.reading import open_workbook, sheet_rows

# Canonical column → the headers a person might have written for it.
COLUMNS = {
    "district": ("区", "区县", "区/县", "县区", "区（县）", "区(县)", "所属区", "所属区县", "区县市", "区/县级市"),
    "street": ("街道", "街道/镇", "镇街", "街镇", "街道（镇）", "街道(镇)", "所属街道", "乡镇街道"),
    "community": ("社区", "社区名称", "所属社区", "居委会", "社区/村"),
    "grid": ("网格", "网格名称", "所属网格", "网格号"),
    "compound": ("小区", "小区名称", "小区（项目）", "小区(项目)", "项目", "物业项目", "住宅小区"),
    "building": ("楼栋", "楼号", "楼栋号", "幢", "栋", "楼"),
    "unit": ("单元", "单元号"),
    "room": ("房号", "室", "房间号", "户号", "门牌号", "房屋编号"),
    "company": ("物业服务企业", "物业企业", "物业公司", "物业服务公司", "物业管理公司", "物业"),
}
LABELS = {"district": "区", "street": "街道", "community": "社区", "grid": "网格", "compound": "小区",
          "building": "楼栋", "unit": "单元", "room": "房号", "company": "物业服务企业"}
REQUIRED = ("district", "street", "community", "compound", "building", "room")
TEMPLATE_HEADERS = ["区", "街道", "社区", "网格", "小区", "楼栋", "单元", "房号", "物业服务企业"]
TEMPLATE_EXAMPLE = ["市中区", "文化路街道", "幸福社区", "第一网格", "金色花园", "3号楼", "2", "502", "鲁南物业服务有限公司"]
MAX_ROWS = 200_000
MAX_TEXT = 64
MAX_LENGTH = {"unit": 16, "room": 16}  # the columns' sizes in the database (households.unit, .room)
CN_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
             "十": "10"}

_HEADER_KEY = {}
for _canon, _names in COLUMNS.items():
    for _n in _names:
        _HEADER_KEY[re.sub(r"\s+", "", unicodedata.normalize("NFKC", _n))] = _canon


class RosterFileError(Invalid):
    """The file as a whole cannot be read (not Excel, no header row, too many rows)."""


@dataclass
class RowError:
    row: int  # the spreadsheet's own row number
    column: str  # the column's Chinese header (as in the file), or "" for the whole row
    reason: str  # in the user's language

    def __str__(self) -> str:
        if self.column:
            return _("第 %(row)s 行「%(column)s」列：%(reason)s", row=self.row, column=self.column, reason=self.reason)
        return _("第 %(row)s 行：%(reason)s", row=self.row, reason=self.reason)


@dataclass
class RosterRow:
    row: int
    district: str
    street: str
    community: str
    grid: str
    compound: str
    building: str
    unit: str
    room: str
    company: str


@dataclass
class ImportResult:
    sheet: str = ""
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """What the import did, in the user's language (for a flash message or the terminal)."""
        names = {"communities": _("社区"), "compounds": _("小区"), "buildings": _("楼栋"), "households": _("住户"),
                 "companies": _("物业企业"), "grids": _("楼栋网格"), "compound_company": _("小区物业企业")}
        sep, none = _("，"), _("无")
        added = sep.join(f"{names[k]} {v}" for k, v in self.added.items() if v) or none
        changed = sep.join(f"{names[k]} {v}" for k, v in self.changed.items() if v) or none
        verb = _("检查通过（试运行，未写入）") if self.dry_run else _("导入完成")
        return _("%(verb)s：共 %(rows)s 行。新增：%(added)s。变更：%(changed)s。未变：%(unchanged)s 户。",
                 verb=verb, rows=self.rows, added=added, changed=changed, unchanged=self.unchanged)


# ---------------------------------------------------------------- reading

def clean(value) -> str:
    """What a person would call the same text: full-width → half-width, no stray spaces, 3.0 → 3."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"[\s\u200b\ufeff]+", " ", text).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


def _compact(text: str) -> str:
    return text.replace(" ", "")


def normalise_building(text: str) -> str:
    t = _compact(text)
    t = "".join(CN_DIGITS.get(ch, ch) for ch in t) if re.fullmatch(r"[一二三四五六七八九十]+(号楼|栋|幢|号)?", t) else t
    m = re.fullmatch(r"(\d+)(号楼|号|栋|幢|#|楼)?", t)
    return f"{int(m.group(1))}号楼" if m else t


def normalise_unit(text: str) -> str:
    t = _compact(text)
    t = CN_DIGITS.get(t[:-2], t[:-2]) + "单元" if t.endswith("单元") and t[:-2] in CN_DIGITS else t
    m = re.fullmatch(r"(\d+)(单元)?", t)
    return str(int(m.group(1))) if m else t


def normalise_room(text: str) -> str:
    t = _compact(text)
    m = re.fullmatch(r"(\d+)(室|号)?", t)
    return m.group(1) if m else t


def _header_map(rows: list[tuple]) -> tuple[int, dict[str, int]] | None:
    """Find the header row among the first rows; return (its index, canonical → column index)."""
    best = None
    for i, row in enumerate(rows):
        found = {}
        for j, v in enumerate(row):
            key = _HEADER_KEY.get(_compact(clean(v)))
            if key and key not in found:
                found[key] = j
        # A header cell merged down from the row above (two-row headers) counts for this row.
        if i > 0:
            for j, v in enumerate(rows[i - 1]):
                key = _HEADER_KEY.get(_compact(clean(v)))
                if key and key not in found and (j >= len(row) or clean(row[j]) == ""):
                    found[key] = j
        if len(found) >= 4 and (best is None or len(found) > len(best[1])):
            best = (i, found)
    return best


def read_rows(data: bytes) -> tuple[str, int, dict[str, int], Iterator[tuple[int, tuple]]]:
    """Open the workbook and locate the roster sheet and its header row (within the upload limits)."""
    wb = open_workbook(data, RosterFileError)
    for ws in wb.worksheets:
        head = [tuple(r) for r in sheet_rows(ws, RosterFileError, min_row=1, max_row=10)]
        found = _header_map(head)
        if found is None:
            continue
        header_index, cols = found
        missing = [LABELS[c] for c in REQUIRED if c not in cols]
        if missing:
            raise RosterFileError(_("工作表「%(sheet)s」缺少这些列：%(columns)s。请使用导入模板。",
                                    sheet=ws.title, columns="、".join(missing)))
        start = header_index + 2  # 1-based row number of the first data row

        def rows(ws=ws, start=start):
            for n, r in enumerate(sheet_rows(ws, RosterFileError, min_row=start), start=start):
                yield n, r
        return ws.title, start, cols, rows()
    raise RosterFileError(_("没有找到表头（需包含 区、街道、社区、小区、楼栋、房号 等列）。请使用导入模板。"))


def parse(data: bytes) -> tuple[str, list[RosterRow], list[RowError]]:
    """Read every data row, normalised; collect row-level errors of form (not of meaning)."""
    sheet, _start, cols, rows = read_rows(data)
    out, errors = [], []
    for n, raw in rows:
        values = {c: clean(raw[j]) if j < len(raw) else "" for c, j in cols.items()}
        if not any(values.values()):
            continue  # blank rows (trailing or in between) are not households
        if len(out) >= MAX_ROWS:
            raise RosterFileError(_("文件超过 %(max)s 行，请按街道拆分后分别导入。", max=MAX_ROWS))
        bad = False
        for c in REQUIRED:
            if not values.get(c):
                errors.append(RowError(n, LABELS[c], _("缺少%(column)s", column=LABELS[c])))
                bad = True
        for c, v in values.items():
            if len(v) > MAX_LENGTH.get(c, MAX_TEXT):
                errors.append(RowError(n, LABELS[c], _("内容过长（%(n)s 字，最多 %(max)s 字）", n=len(v),
                                                       max=MAX_LENGTH.get(c, MAX_TEXT))))
                bad = True
            elif v and any(unicodedata.category(ch) == "Cc" for ch in v):
                errors.append(RowError(n, LABELS[c], _("含有不可见的控制字符")))
                bad = True
        if bad:
            continue
        out.append(RosterRow(
            row=n, district=values["district"], street=values["street"], community=values["community"],
            grid=values.get("grid", ""), compound=values["compound"],
            building=normalise_building(values["building"]), unit=normalise_unit(values.get("unit", "")),
            room=normalise_room(values["room"]), company=values.get("company", ""),
        ))
    return sheet, out, errors


# ---------------------------------------------------------------- importing

def import_roster(data: bytes, user=None, dry_run: bool = False, area_check=None) -> ImportResult:
    """Validate the whole file, then write it in one transaction, or write nothing.

    `area_check(street)` returns True when the user may import into that street (None: anyone).
    The caller commits on success; on errors, and in a dry run, nothing is written.

    The file is read and its rows checked against the streets before the write lock is taken
    (`begin_write`): an upload's request does not take it when it begins, so residents' answers
    are not held up while a large file is parsed. What the import changes is then read and
    written under the lock, in bulk, so the lock is held briefly.
    """
    sheet, rows, errors = parse(data)
    result = ImportResult(sheet=sheet, rows=len(rows) + len({e.row for e in errors}), errors=errors,
                          dry_run=dry_run)
    streets = {(d_name, s_name): _StreetRef(sid, did, s_name) for sid, did, s_name, d_name in db.session.execute(
        select(Street.id, Street.district_id, Street.name, District.name).join(District, District.id == Street.district_id))}
    seen: dict[tuple, int] = {}
    compound_company: dict[tuple, tuple[str, int]] = {}
    valid: list[RosterRow] = []
    for r in rows:
        street = streets.get((r.district, r.street))
        if street is None:
            known_district = any(d == r.district for d, _street in streets)
            errors.append(RowError(r.row, "街道" if known_district else "区",
                                   _("未知的街道「%(street)s」", street=r.street) if known_district
                                   else _("未知的区「%(district)s」", district=r.district)))
            continue
        if area_check is not None and not area_check(street):
            errors.append(RowError(r.row, "街道", _("「%(place)s」不在您的辖区内", place=r.district + r.street)))
            continue
        key = (street.id, r.community, r.compound, r.building, r.unit, r.room)
        if key in seen:
            errors.append(RowError(r.row, "房号", _("与第 %(row)s 行是同一户（重复）", row=seen[key])))
            continue
        seen[key] = r.row
        ckey = (street.id, r.community, r.compound)
        if r.company:
            first = compound_company.setdefault(ckey, (r.company, r.row))
            if first[0] != r.company:
                errors.append(RowError(r.row, "物业服务企业",
                                       _("同一小区在第 %(row)s 行填的是「%(first)s」，本行是「%(company)s」",
                                         row=first[1], first=first[0], company=r.company)))
                continue
        valid.append(r)

    street_ids = {streets[(r.district, r.street)].id for r in valid}
    existing = _load_existing(street_ids)
    errors += _company_conflicts(existing, compound_company)
    errors.sort(key=lambda e: (e.row, e.column))
    if errors:
        return result
    plan = _plan(valid, streets, existing, compound_company, result)
    if not dry_run:
        # Only the writes hold the lock. What the plan was made from is read again under it; if
        # someone changed these streets since, the plan is made again from what is there now.
        begin_write()
        now_there = _load_existing(street_ids)
        if now_there != existing:
            errors += _company_conflicts(now_there, compound_company)
            if errors:
                errors.sort(key=lambda e: (e.row, e.column))
                return result
            plan = _plan(valid, streets, now_there, compound_company, result)
        _write(plan, now_there)
    if not dry_run:
        with in_chinese():  # the audit log is kept in Chinese, whatever the page's language
            detail = result.summary()
        street_ids = {streets[(r.district, r.street)].id for r in valid}
        districts = {streets[(r.district, r.street)].district_id for r in valid}
        where = (audit.where_area("street", next(iter(street_ids))) if len(street_ids) == 1
                 else audit.Jurisdiction(district_id=next(iter(districts))) if len(districts) == 1
                 else audit.Jurisdiction())
        audit.record("roster.import", f"sheet:{sheet}", user=user, detail=detail, where=where,
                     after={"rows": result.rows, "added": result.added, "changed": result.changed,
                            "unchanged": result.unchanged})
    return result


def _company_conflicts(existing: _Existing, compound_company) -> list[RowError]:
    """Rows naming another company than the one an existing compound already has."""
    out = []
    for ckey, (company, row) in compound_company.items():
        found = existing.compounds.get(ckey)
        current = existing.company_names.get(found[1]) if found and found[1] is not None else None
        if current is not None and current != company:
            out.append(RowError(row, "物业服务企业",
                                _("小区「%(compound)s」当前的物业服务企业是「%(current)s」，与文件中的「%(company)s」不一致；"
                                  "更换物业企业请先办理变更",
                                  compound=ckey[2], current=current, company=company)))
    return out


@dataclass(frozen=True)
class _StreetRef:
    id: int
    district_id: int
    name: str


@dataclass
class _Existing:
    """What the streets of the file already hold, as plain values (read under the write lock)."""
    communities: dict = field(default_factory=dict)  # (street_id, name) → id
    compounds: dict = field(default_factory=dict)  # (street_id, community, name) → (id, company_id)
    buildings: dict = field(default_factory=dict)  # (street_id, community, compound, name) → (id, grid)
    households: set = field(default_factory=set)  # (building_id, unit, room)
    company_ids: dict = field(default_factory=dict)  # name → id
    company_names: dict = field(default_factory=dict)  # id → name


def _load_existing(street_ids: set[int]) -> _Existing:
    ex = _Existing()
    if street_ids:
        comm = {cid: (sid, name) for cid, sid, name in db.session.execute(
            select(Community.id, Community.street_id, Community.name).where(Community.street_id.in_(street_ids)))}
        ex.communities = {key: cid for cid, key in comm.items()}
        in_streets = select(Compound.id).where(Compound.street_id.in_(street_ids))
        compound_key = {}
        for kid, community_id, name, company_id in db.session.execute(
                select(Compound.id, Compound.community_id, Compound.name, Compound.company_id)
                .where(Compound.street_id.in_(street_ids))):
            sid, community = comm[community_id]
            compound_key[kid] = (sid, community, name)
            ex.compounds[(sid, community, name)] = (kid, company_id)
        for bid, compound_id, name, grid in db.session.execute(
                select(Building.id, Building.compound_id, Building.name, Building.grid)
                .where(Building.compound_id.in_(in_streets))):
            ex.buildings[compound_key[compound_id] + (name,)] = (bid, grid)
        ex.households = set(db.session.execute(
            select(Household.building_id, Household.unit, Household.room)
            .where(Household.compound_id.in_(in_streets))).all())
    for cid, name in db.session.execute(select(Company.id, Company.name)):
        ex.company_ids[name], ex.company_names[cid] = cid, name
    return ex


@dataclass
class _Plan:
    """What an import adds and changes, by natural keys (ids of new rows are known only when written)."""
    communities: dict = field(default_factory=dict)  # (street_id, name) → None
    companies: dict = field(default_factory=dict)  # name → None
    compounds: dict = field(default_factory=dict)  # ckey → (district_id, company name or "")
    compound_companies: dict = field(default_factory=dict)  # existing compound id → company name
    buildings: dict = field(default_factory=dict)  # bkey → grid
    grids: dict = field(default_factory=dict)  # existing building id → grid
    households: list = field(default_factory=list)  # (bkey, unit, room)


def _plan(rows: list[RosterRow], streets, ex: _Existing, compound_company, result: ImportResult) -> _Plan:
    """Count and collect what the rows add and change, the same for a dry run and an import."""
    added = dict.fromkeys(("communities", "compounds", "buildings", "households", "companies"), 0)
    changed = dict.fromkeys(("grids", "compound_company"), 0)
    plan = _Plan()
    result.unchanged = 0
    owner: dict[tuple, str | None] = {}  # compound key → its company name once decided in this file
    grid_now: dict[tuple, str | None] = {}  # building key → its grid as the rows so far leave it
    for r in rows:
        street = streets[(r.district, r.street)]
        if (street.id, r.community) not in ex.communities and (street.id, r.community) not in plan.communities:
            plan.communities[(street.id, r.community)] = None
            added["communities"] += 1
        ckey = (street.id, r.community, r.compound)
        if ckey not in owner:
            found = ex.compounds.get(ckey)
            if found is None:
                plan.compounds[ckey] = (street.district_id, "")
                added["compounds"] += 1
            owner[ckey] = ex.company_names.get(found[1]) if found and found[1] is not None else None
        if r.company and owner[ckey] is None and ckey in compound_company:
            if r.company not in ex.company_ids and r.company not in plan.companies:
                plan.companies[r.company] = None
                added["companies"] += 1
            found = ex.compounds.get(ckey)
            if found is None:
                plan.compounds[ckey] = (street.district_id, r.company)
            else:
                plan.compound_companies[found[0]] = r.company
            owner[ckey] = r.company
            changed["compound_company"] += 1
        bkey = ckey + (r.building,)
        if bkey not in grid_now:
            found = ex.buildings.get(bkey)
            if found is None:
                grid_now[bkey] = r.grid or None
                plan.buildings[bkey] = r.grid or None
                added["buildings"] += 1
            else:
                grid_now[bkey] = found[1]
        if r.grid and grid_now[bkey] != r.grid:
            grid_now[bkey] = r.grid
            if bkey in plan.buildings:
                plan.buildings[bkey] = r.grid
            else:
                plan.grids[ex.buildings[bkey][0]] = r.grid
            changed["grids"] += 1
        found = ex.buildings.get(bkey)
        if found is not None and (found[0], r.unit, r.room) in ex.households:
            result.unchanged += 1
            continue
        plan.households.append((bkey, r.unit, r.room))
        added["households"] += 1
    result.added, result.changed = added, changed
    return plan


def _insert_returning_ids(table, rows: list[dict]) -> list[int]:
    """Insert rows in one statement (many values) and return their new ids in order."""
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(db.session.execute(stmt, rows).scalars())


def _write(plan: _Plan, ex: _Existing) -> None:
    """Write the plan in bulk: new rows level by level (each level needs the ids of the one above)."""
    company_ids = dict(ex.company_ids)
    names = list(plan.companies)
    company_ids.update(zip(names, _insert_returning_ids(Company.__table__, [{"name": n} for n in names])))
    communities = dict(ex.communities)
    keys = list(plan.communities)
    communities.update(zip(keys, _insert_returning_ids(
        Community.__table__, [{"street_id": sid, "name": name} for sid, name in keys])))
    compounds = {k: v[0] for k, v in ex.compounds.items()}
    keys = list(plan.compounds)
    compounds.update(zip(keys, _insert_returning_ids(Compound.__table__, [
        {"community_id": communities[(sid, community)], "street_id": sid, "district_id": district_id, "name": name,
         "company_id": company_ids[company] if company else None}
        for (sid, community, name), (district_id, company) in plan.compounds.items()])))
    if plan.compound_companies:
        t = Compound.__table__
        db.session.execute(update(t).where(t.c.id == bindparam("b_id")).values(company_id=bindparam("b_company")),
                           [{"b_id": kid, "b_company": company_ids[name]} for kid, name in plan.compound_companies.items()])
    buildings = {k: v[0] for k, v in ex.buildings.items()}
    keys = list(plan.buildings)
    buildings.update(zip(keys, _insert_returning_ids(Building.__table__, [
        {"compound_id": compounds[k[:3]], "name": k[3], "grid": plan.buildings[k]} for k in keys])))
    if plan.grids:
        t = Building.__table__
        db.session.execute(update(t).where(t.c.id == bindparam("b_id")).values(grid=bindparam("b_grid")),
                           [{"b_id": bid, "b_grid": grid} for bid, grid in plan.grids.items()])
    if plan.households:
        insert_rows(Household.__table__, ("building_id", "compound_id", "unit", "room"),
                    ((buildings[bkey], compounds[bkey[:3]], unit, room) for bkey, unit, room in plan.households))
        totals.add_households(Counter(compounds[bkey[:3]] for bkey, _unit, _room in plan.households))
    db.session.expire_all()  # rows written around the ORM: loaded objects read them again when used


def template_workbook() -> bytes:
    """The import template: Chinese headers, one example row, and a sheet of instructions."""
    wb = Workbook()
    ws = wb.active
    ws.title = "住户花名册"
    write_table(ws, TEMPLATE_HEADERS, [TEMPLATE_EXAMPLE], widths=[10, 14, 14, 12, 18, 10, 8, 8, 28])
    notes = wb.create_sheet("填写说明")
    write_table(notes, ["列", "说明"], [
        ("区、街道", "必须是系统中已有的区和街道名称。"),
        ("社区、小区、楼栋", "不存在时自动新建。楼栋可写 3、3号楼、3栋，视为同一楼栋。"),
        ("网格", "选填；填写后楼栋归入该网格。"),
        ("单元、房号", "房号必填；单元选填。全角数字、3.0 这样的数字都可以。"),
        ("物业服务企业", "选填；小区尚无物业企业时设为该企业。与小区当前企业不一致时整份文件不导入。"),
        ("重复导入", "同一文件可以重复导入，已有住户不会重复；有任何一行错误则整份文件都不导入。"),
    ], widths=[16, 80])
    return to_bytes(wb)


def format_errors(errors: Iterable[RowError], limit: int | None = None) -> list[str]:
    errs = list(errors)
    lines = [str(e) for e in (errs if limit is None else errs[:limit])]
    if limit is not None and len(errs) > limit:
        lines.append(_("……另有 %(n)s 处错误未列出", n=len(errs) - limit))
    return lines
