"""The rectification workbook imported again, after a company or an office filled it in.

Each row names an item by its 编号. A row moves the item when its 状态 differs from the item's
state now: the move is the one of `MOVES` that leads to that state from the current one (an
officer's 已派发 on a 待派发 item is an assignment, and may carry a new 整改期限). A row whose
状态 is unchanged but whose 整改情况/说明 is filled in adds a note; a changed 备注 replaces the
item's working note (and is kept as a note event). Every other column is for reading only.

A row is refused (with its row number, the column and the reason) when its item does not exist or
lies outside the user's scope, when its 状态 is not a state, when the user's role may not make the
move, when the item's state does not allow it, when the words the move needs are missing or too
long, or when a 整改期限 is changed other than by an assignment. One refused row and nothing is
applied. A dry run checks everything and says what would happen.

The file is parsed and checked before the write lock is taken (`begin_write`); the items are then
read again under it, checked again, and the moves made through `workflow.act` (one event and one
audit record each, actor "import"), plus one audit record for the import.

May import `access`, `errors`, `models`, `domain.audit`, `domain.xlsx.reading` and the workbook's
column names (`domain.xlsx.rectification`); never `web`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ... import access
from ...database import begin_write, parse_id
from ...errors import Invalid, Refusal
from ...extensions import db
from ...models import Compound, RectificationItem
from .. import audit
from ..clock import now
from ..documents import in_chinese
from ..xlsx.common import safe_text
from ..xlsx.reading import open_workbook, sheet_rows
from ..xlsx.rectification import DEADLINE, ID, NOTE, STATUS, WORDS, labels
from .states import ACTION_LABELS, MOVES
from .workflow import DEADLINE_MAX_DAYS, NOTE_MAX, act

REQUIRED = (ID, STATUS, WORDS)
HEADER_SEARCH_ROWS = 12  # the header row sits under the title block
CHUNK = 2000  # ids per query when loading the items


class SheetFileError(Invalid):
    """The file as a whole cannot be read as the rectification workbook (400, or 413 when too large)."""


@dataclass
class RowError:
    """A refused row: the spreadsheet's row number, the column's header, the reason (user's language)."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return _("第 %(row)s 行「%(column)s」列：%(reason)s", row=self.row, column=self.column, reason=self.reason)


@dataclass
class SheetRow:
    """One data row as read: the item's id (None when unreadable) and what the filler wrote."""

    row: int
    item_id: int | None
    status: str
    words: str
    note: str | None  # None: the file has no 备注 column
    deadline: date | None
    deadline_bad: bool = False


@dataclass
class Planned:
    """What one row does: the move (None: only the note changes), its words and deadline, the note."""

    row: int
    item_id: int
    action: str | None
    words: str = ""
    deadline: date | None = None
    note_changed: bool = False
    note: str | None = None


@dataclass
class ImportResult:
    """What an import found and did: refused rows, or the moves made (or that a dry run would make)."""

    sheet: str = ""
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    moves: dict[str, int] = field(default_factory=dict)  # action → rows
    unchanged: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """No row was refused."""
        return not self.errors

    @property
    def changed(self) -> int:
        """How many moves (notes included) the import makes."""
        return sum(self.moves.values())

    def summary(self) -> str:
        """What the import did, in the user's language."""
        sep = _("，")
        moves = sep.join(f"{ACTION_LABELS[a]} {n}" for a, n in self.moves.items() if n) or _("无")
        verb = _("检查通过（试运行，未写入）") if self.dry_run else _("导入完成")
        return _("%(verb)s：共 %(rows)s 行。%(moves)s。未改动 %(unchanged)s 行。",
                 verb=verb, rows=self.rows, moves=moves, unchanged=self.unchanged)


# ---------------------------------------------------------------- reading

def _header(value) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))) if value is not None else ""


HEADER_KEYS = {_header(h): h for h in (ID, STATUS, WORDS, NOTE, DEADLINE)}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _item_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = int(value) if value.is_integer() else None
    return parse_id(value)


def _deadline(value) -> tuple[date | None, bool]:
    """A date from a cell: (the date or None when empty, whether the cell held something else)."""
    if value is None or value == "":
        return None, False
    if isinstance(value, datetime):
        return value.date(), False
    if isinstance(value, date):
        return value, False
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", _text(value))
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), False
        except ValueError:
            pass
    return None, True


def read_sheet(data: bytes) -> tuple[str, list[SheetRow]]:
    """Open the workbook (guarded reader), find the sheet with the header row, and read every row.

    :raise SheetFileError: not a readable workbook, beyond the upload limits, or no sheet with the
        columns 编号, 状态 and 整改情况/说明.
    """
    wb = open_workbook(data, SheetFileError)
    for ws in wb.worksheets:
        head = list(sheet_rows(ws, SheetFileError, min_row=1, max_row=HEADER_SEARCH_ROWS))
        for index, row in enumerate(head):
            cols = {}
            for j, v in enumerate(row):
                key = HEADER_KEYS.get(_header(v))
                if key is not None and key not in cols:
                    cols[key] = j
            if ID not in cols or STATUS not in cols:
                continue
            missing = [c for c in REQUIRED if c not in cols]
            if missing:
                raise SheetFileError(_("工作表「%(sheet)s」缺少这些列：%(columns)s。请使用从本系统下载的整改清单。",
                                       sheet=ws.title, columns="、".join(missing)))
            return ws.title, list(_rows(ws, cols, index + 2))
    raise SheetFileError(_("没有找到表头（需要 编号、状态、整改情况/说明 三列）。请使用从本系统下载的整改清单。"))


def _rows(ws, cols: dict[str, int], start: int):
    def cell(raw, name):
        j = cols.get(name)
        return raw[j] if j is not None and j < len(raw) else None

    for n, raw in enumerate(sheet_rows(ws, SheetFileError, min_row=start), start=start):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
            continue  # blank rows are no items
        deadline, bad = _deadline(cell(raw, DEADLINE))
        yield SheetRow(row=n, item_id=_item_id(cell(raw, ID)), status=_text(cell(raw, STATUS)),
                       words=_text(cell(raw, WORDS)), note=_text(cell(raw, NOTE)) if NOTE in cols else None,
                       deadline=deadline, deadline_bad=bad)


# ---------------------------------------------------------------- checking

@dataclass
class _Item:
    """What the checks need of an item (read before the lock, and again under it)."""

    status: str
    deadline: date | None
    note: str | None
    company_id: int | None


def _load(ids: list[int], user) -> dict[int, _Item]:
    """The items of these ids the user may see (the others are "not found" to them)."""
    found = {}
    for i in range(0, len(ids), CHUNK):
        for ident, campaign_id, status, deadline, note, company_id, compound_company in db.session.execute(
                select(RectificationItem.id, RectificationItem.campaign_id, RectificationItem.status,
                       RectificationItem.deadline, RectificationItem.note, RectificationItem.company_id,
                       Compound.company_id)
                .join(Compound, Compound.id == RectificationItem.compound_id)
                .where(RectificationItem.id.in_(ids[i:i + CHUNK]))):
            found[ident] = (campaign_id, _Item(status, deadline, note, company_id or compound_company))
    visible = _visible(found, user)
    return {ident: item for ident, (_campaign, item) in found.items() if ident in visible}


def _visible(found: dict[int, tuple], user) -> set[int]:
    """Which of the found items the user may see (`access.rectification_clause`).

    Asked per campaign of the file's items rather than per id: SQLite would otherwise probe every
    visible compound for every id of the list (a scan of compounds × ids)."""
    campaigns = sorted({campaign for campaign, _item in found.values()})
    if not campaigns:
        return set()
    return set(db.session.scalars(select(RectificationItem.id).where(
        RectificationItem.campaign_id.in_(campaigns), access.rectification_clause(user))))


def _moves_to(target: str) -> list[str]:
    return [a for a, m in MOVES.items() if m.to == target]


def _same_note(cell: str, current: str | None) -> bool:
    current = current or ""
    return cell == current or cell == safe_text(current) or cell == current.strip()


def plan(rows: list[SheetRow], user, today: date) -> tuple[list[Planned], list[RowError], int]:
    """Check every row against the items as they are now; return the planned moves, the refused
    rows (sorted) and how many rows change nothing."""
    items = _load(sorted({r.item_id for r in rows if r.item_id is not None}), user)
    state_of = {label: state for state, label in labels()[0].items()}
    label_of = labels()[0]
    mine = set(access.rectification_actions(user))
    planned, errors, unchanged, seen = [], [], 0, {}

    def refuse(r, column, reason):
        errors.append(RowError(r.row, column, reason))

    for r in rows:
        if r.item_id is None:
            refuse(r, ID, _("编号无效：请勿修改编号列。"))
            continue
        if r.item_id in seen:
            refuse(r, ID, _("与第 %(row)s 行是同一整改事项（编号重复）。", row=seen[r.item_id]))
            continue
        seen[r.item_id] = r.row
        item = items.get(r.item_id)
        if item is None:
            refuse(r, ID, _("编号 %(id)s 的整改事项不存在或不在您的范围内。", id=r.item_id))
            continue
        if not r.status:
            refuse(r, STATUS, _("请从下拉列表中选择状态。"))
            continue
        target = state_of.get(r.status)
        if target is None:
            refuse(r, STATUS, _("“%(value)s”不是有效的状态，请从下拉列表中选择。", value=r.status[:40]))
            continue
        if r.deadline_bad:
            refuse(r, DEADLINE, _("不是有效的日期（请写成 2026-12-31 这样的日期）。"))
            continue
        if len(r.words) > NOTE_MAX:
            refuse(r, WORDS, _("说明不能超过 %(n)s 个字。", n=NOTE_MAX))
            continue
        note_changed = r.note is not None and not _same_note(r.note, item.note)
        if note_changed and len(r.note) > NOTE_MAX:
            refuse(r, NOTE, _("说明不能超过 %(n)s 个字。", n=NOTE_MAX))
            continue
        action, deadline = None, None
        if target != item.status:
            possible = [a for a in _moves_to(target) if a in mine]
            if not possible:
                refuse(r, STATUS, _("您不能把整改事项改为“%(state)s”。", state=label_of[target]))
                continue
            action = next((a for a in possible if item.status in MOVES[a].sources), None)
            if action is None:
                refuse(r, STATUS, _("该整改事项目前为“%(state)s”，不能改为“%(target)s”。",
                                    state=label_of[item.status], target=label_of[target]))
                continue
        elif r.words:
            action = "note"
        if action is not None and action not in mine:
            refuse(r, WORDS, _("您不能对整改事项执行“%(action)s”。", action=ACTION_LABELS[action]))
            continue
        if action is not None and MOVES[action].needs_note and not r.words:
            refuse(r, WORDS, _("“%(action)s”需要填写整改情况或原因。", action=ACTION_LABELS[action]))
            continue
        if note_changed and "note" not in mine:
            refuse(r, NOTE, _("您不能修改备注。"))
            continue
        changed_deadline = r.deadline is not None and r.deadline != item.deadline
        if action == "assign":
            if item.company_id is None:
                refuse(r, STATUS, _("该小区没有物业服务企业，无法交办；请先在花名册中设置物业服务企业。"))
                continue
            if r.deadline is not None and (changed_deadline or r.deadline >= today):
                if r.deadline < today:
                    refuse(r, DEADLINE, _("整改期限不能早于今天。"))
                    continue
                if r.deadline > today + timedelta(days=DEADLINE_MAX_DAYS):
                    refuse(r, DEADLINE, _("整改期限不能超过一年。"))
                    continue
                deadline = r.deadline
        elif changed_deadline:
            refuse(r, DEADLINE, _("只有交办时可以填写整改期限；其他时候请勿修改此列。"))
            continue
        if action is None and not note_changed:
            unchanged += 1
            continue
        planned.append(Planned(r.row, r.item_id, action, r.words, deadline, note_changed,
                               (r.note or None) if note_changed else None))
    errors.sort(key=lambda e: (e.row, e.column))
    return planned, errors, unchanged


def _count(planned: list[Planned]) -> dict[str, int]:
    moves = dict.fromkeys(MOVES, 0)
    for p in planned:
        if p.action is not None:
            moves[p.action] += 1
        if p.note_changed and p.action != "note":
            moves["note"] += 1
    return {a: n for a, n in moves.items() if n}


# ---------------------------------------------------------------- importing

def import_items(file, user, *, dry_run: bool) -> ImportResult:
    """Check the whole workbook, then make every move it asks for, or none.

    `file` is the uploaded bytes (or a file object). The caller commits on success; when a row is
    refused, and in a dry run, nothing is written. The moves are made inside a savepoint: should
    one still be refused under the lock (something changed between the check and the move), the
    savepoint undoes the moves made before it and the row is reported.

    :raise SheetFileError: the file cannot be read as the rectification workbook.
    """
    data = file if isinstance(file, (bytes, bytearray)) else file.read()
    sheet, rows = read_sheet(bytes(data))
    result = ImportResult(sheet=sheet, rows=len(rows), dry_run=dry_run)
    planned, result.errors, result.unchanged = plan(rows, user, now().date())
    result.moves = _count(planned)
    if result.errors or dry_run or not planned:
        return result
    begin_write()  # only now: parsing and checking did not hold residents up
    when = now()
    planned, result.errors, result.unchanged = plan(rows, user, when.date())  # the items as they are now
    result.moves = _count(planned)
    if result.errors:
        return result
    items = _items_for_update([p.item_id for p in planned], user)
    refused = None
    with db.session.begin_nested() as savepoint:
        for p in planned:
            try:
                _apply(items[p.item_id], p, user, when)
            except Refusal as e:
                refused = RowError(p.row, STATUS, e.message)
                break
        if refused is not None:
            savepoint.rollback()
    if refused is not None:
        result.errors, result.moves = [refused], {}
        return result
    with in_chinese():  # the audit log is kept in Chinese, whatever the page's language
        detail = result.summary()
    audit.record("rectification.import", f"sheet:{sheet}", user=user, detail=detail, where=audit.where_user(user),
                 after={"rows": result.rows, "moves": result.moves, "unchanged": result.unchanged})
    return result


def _items_for_update(ids: list[int], user) -> dict[int, RectificationItem]:
    """The items to move, with their compounds, loaded once (those the user may see)."""
    out = {}
    for i in range(0, len(ids), CHUNK):
        for item in db.session.scalars(select(RectificationItem).options(joinedload(RectificationItem.compound))
                                       .where(RectificationItem.id.in_(ids[i:i + CHUNK]))):
            out[item.id] = item
    visible = _visible({i: (item.campaign_id, None) for i, item in out.items()}, user)
    return {i: item for i, item in out.items() if i in visible}


def _apply(item: RectificationItem, p: Planned, user, when: datetime) -> None:
    """Make one row's moves (:raise Refusal: reported against the row by the caller)."""
    if p.action is not None:
        act(item, p.action, user, note=p.words, deadline=p.deadline, actor="import", when=when)
    if p.note_changed:
        item.note = p.note
        with in_chinese():  # kept in the item's history, in the document's language
            words = _("备注改为：%(note)s", note=p.note) if p.note else _("清空了备注")
        act(item, "note", user, note=words[:NOTE_MAX], actor="import", when=when)


__all__ = ["ImportResult", "RowError", "SheetFileError", "import_items", "plan", "read_sheet"]
