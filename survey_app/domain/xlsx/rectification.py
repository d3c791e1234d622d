"""The rectification workbook (整改清单): one row per item, filled in by a company or an office and
imported again (domain/rectification/sheet_import.py reads it back).

The sheet is streamed (openpyxl's write-only mode) from one query that joins the names it shows:
rows are read in batches and written as they come, so 100,000 items take the same memory as 100.
Figures are numbers (scores, rates, shares, counts), dates are dates, the 状态 column offers only
the states' labels (a drop-down list the spreadsheet enforces), overdue rows are filled (a conditional format on 是否逾期), and the
整改情况/说明 column is left empty for what the filler did, or why they send an item back or close it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from sqlalchemy import select

from ...extensions import db
from ...models import Community, Company, Compound, RectificationItem, Street
from ...models.rectification import COMPANY_HELD
from ..clock import now
from ..documents import in_chinese
from ..rectification.states import SOURCE_LABELS, STATUS_LABELS
from .common import DATE, MEAN, PERCENT, Heading, office_of, to_bytes, write_table

SHEET = "整改清单"
# The columns, in order; the import finds them by these names (the header row under the title block).
ID, STREET, COMMUNITY, COMPOUND, COMPANY = "编号", "街道", "社区", "小区", "物业服务企业"
CATEGORY, SOURCE, EVIDENCE = "类别", "来源", "问题依据"
SCORE, RATE, RESPONDENTS, SHARE = "维度得分", "满意率", "作答户数", "反映比例"
RAISED, DEADLINE, STATUS, OVERDUE, MISSED = "提出日期", "整改期限", "状态", "是否逾期", "曾逾期"
WORDS, NOTE = "整改情况/说明", "备注"
HEADERS = [ID, STREET, COMMUNITY, COMPOUND, COMPANY, CATEGORY, SOURCE, EVIDENCE, SCORE, RATE, RESPONDENTS, SHARE,
           RAISED, DEADLINE, STATUS, OVERDUE, MISSED, WORDS, NOTE]
WIDTHS = {ID: 8, STREET: 14, COMMUNITY: 14, COMPOUND: 20, COMPANY: 26, CATEGORY: 12, SOURCE: 14, EVIDENCE: 48,
          SCORE: 10, RATE: 10, RESPONDENTS: 10, SHARE: 10, RAISED: 12, DEADLINE: 12, STATUS: 16, OVERDUE: 10,
          MISSED: 10, WORDS: 40, NOTE: 30}
FORMATS = {SCORE: MEAN, RATE: PERCENT, SHARE: PERCENT, RAISED: DATE, DEADLINE: DATE}
# The company's own report workbook: its own name is every row's, and it is not a form to fill in.
COMPANY_SHEET_HEADERS = [h for h in HEADERS if h not in (COMPANY, WORDS)]
YES, NO = "是", "否"
BATCH = 2000  # rows fetched from the database at a time


@dataclass(frozen=True)
class Filters:
    """Which items of the campaign: the user's scope (an `access.rectification_clause`), narrowed
    to one street, community or company when given (ids already checked by the caller)."""

    campaign_id: int
    clause: object
    street_id: int | None = None
    community_id: int | None = None
    company_id: int | None = None


def items_query(f: Filters):
    """The rows of the workbook as one query: the items' figures and the names they show, joined."""
    q = (select(RectificationItem.id, Street.name, Community.name, Compound.name, Company.name,
                RectificationItem.category, RectificationItem.source, RectificationItem.evidence,
                RectificationItem.score, RectificationItem.rate, RectificationItem.respondents,
                RectificationItem.share, RectificationItem.created_at, RectificationItem.deadline,
                RectificationItem.status, RectificationItem.deadline_missed, RectificationItem.note)
         .join(Compound, Compound.id == RectificationItem.compound_id)
         .join(Community, Community.id == Compound.community_id)
         .join(Street, Street.id == Compound.street_id)
         .outerjoin(Company, Company.id == RectificationItem.company_id)
         .where(RectificationItem.campaign_id == f.campaign_id, f.clause))
    if f.street_id is not None:
        q = q.where(Compound.street_id == f.street_id)
    if f.community_id is not None:
        q = q.where(Compound.community_id == f.community_id)
    if f.company_id is not None:
        q = q.where(RectificationItem.company_id == f.company_id)
    return q.order_by(Compound.street_id, Compound.community_id, Compound.name, RectificationItem.id)


def labels() -> tuple[dict[str, str], dict[str, str]]:
    """The states' and sources' labels as the workbook writes them (Chinese, on any page)."""
    with in_chinese():
        return ({k: str(v) for k, v in STATUS_LABELS.items()}, {k: str(v) for k, v in SOURCE_LABELS.items()})


def _rows(result, today: date, columns: list[str]):
    """Each item as the cells of `columns` (write_table makes the texts safe)."""
    status_label, source_label = labels()
    keep = [HEADERS.index(c) for c in columns]
    whole = len(keep) == len(HEADERS)
    for (ident, street, community, compound, company, category, source, evidence, score, rate, respondents, share,
         created, deadline, status, missed, note) in result:
        overdue = status in COMPANY_HELD and deadline is not None and deadline < today
        row = [ident, street, community, compound, company or "", category, source_label.get(source, source), evidence,
               None if score is None else round(score, 1), rate, respondents, share,
               created.date() if isinstance(created, datetime) else created, deadline,
               status_label.get(status, status), YES if overdue else NO, YES if (overdue or missed) else NO, None, note]
        yield row if whole else [row[i] for i in keep]


def write_items_sheet(ws, f: Filters, heading: Heading | None, columns: list[str] | None = None,
                      today: date | None = None) -> int:
    """Write the items of `f` into a sheet (write-only or normal) as a table under the title block;
    returns how many rows were written. The 状态 column, when present, offers only the states."""
    columns = columns or HEADERS
    today = today or now().date()
    status_labels, _sources = labels()
    count = 0

    def counted(rows):
        nonlocal count
        for row in rows:
            count += 1
            yield row

    result = db.session.execute(items_query(f).execution_options(yield_per=BATCH))
    try:
        write_table(ws, columns, counted(_rows(result, today, columns)), widths=[WIDTHS[c] for c in columns],
                    formats={i: FORMATS[c] for i, c in enumerate(columns, start=1) if c in FORMATS},
                    heading=heading,
                    choices={columns.index(STATUS) + 1: list(status_labels.values())} if STATUS in columns else None,
                    highlight=(columns.index(OVERDUE) + 1, YES))
    finally:
        result.close()
    return count


def rectification_workbook(f: Filters, campaign_name: str, scope: str, office: str | None = None,
                           generated: datetime | None = None) -> tuple[bytes, int]:
    """The rectification workbook of `f` under a title block (what, the scope, the campaign, the date,
    the issuing office: the user's jurisdiction unless given). Returns the bytes and the row count."""
    office = office if office is not None else office_of()
    heading = Heading(SHEET, scope, campaign_name, generated or now(), office)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    count = write_items_sheet(ws, f, heading)
    return to_bytes(wb), count
