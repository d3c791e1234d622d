"""What residents wrote, for officers: comments, free-text answers and follow-up requests of an area
(an `Area`, or a condition on Compound such as the area picker's: see `on_compound`).

Every text comes from a published response (held ones never); advertising (`adverts.is_advert`, on
the text as written) is left out and only counted, in `CommentPage.adverts`; the rest is masked
(`privacy.mask`) before anything else, and identical masked texts (after whitespace is normalised)
of one compound and one source are one group with its count. Nothing that identifies the writer leaves here: no household,
address or response id, no time finer than the date.

The group that must be large enough is the one `company_report` uses: a compound's published
responses about one company (a compound that changed company has two). Fewer than MIN_GROUP, and
its texts are not shown; `CommentPage.withheld` says how many compounds had such a group.

The texts are grouped by exact text in SQL and streamed; masking and the merging of texts that mask
to the same words happen here, so one page costs one pass over the area's distinct texts, never the
responses' answers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator, Mapping

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select

from ...access import Area
from ...database import parse_id
from ...errors import Invalid, NotFound
from ...extensions import db
from ...models import Answer, Campaign, Company, Compound, Question, RectificationRequest, Response
from ...models.campaigns import SCORED_KIND
from ..paging import clamp
from .adverts import is_advert
from .privacy import MIN_GROUP, mask

PER_PAGE = 50
EXPORT_MAX = 100_000  # groups in one workbook; narrow the filters for more
LOW = 2  # an answer of 1 or 2 on the 5-point scale is a low score
LOW_INDEX = 60  # a response index below this is low (when no dimension is named)
STREAM = 2000  # rows fetched at a time

# Where a text came from: the comment box, a free-text question, a follow-up request.
COMMENT, TEXT, REQUEST = "comment", "text", "request"
SOURCES = (COMMENT, TEXT, REQUEST)


@dataclass(frozen=True)
class Filters:
    """What the officer narrowed the list to; empty fields narrow nothing."""

    compound_id: int | None = None
    company_id: int | None = None
    dimension_id: int | None = None
    low: bool = False
    source: str = ""

    @classmethod
    def parse(cls, args: Mapping[str, str], campaign: Campaign) -> Filters:
        """Read ?compound= ?company= ?dimension= ?low=1 ?source= (the compound's visibility is the
        caller's to check, through `access`).

        :raise Invalid: a malformed id, a dimension of another campaign, an unknown source.
        :raise NotFound: no such company.
        """
        compound_id, company_id, dimension_id = (_optional_id(args, name, label) for name, label in (
            ("compound", _("小区")), ("company", _("物业服务企业")), ("dimension", _("维度"))))
        if dimension_id is not None and dimension_id not in {d.id for d in campaign.dimensions}:
            raise Invalid(_("该测评活动没有这个维度。"))
        if company_id is not None and db.session.get(Company, company_id) is None:
            raise NotFound(_("没有这个物业服务企业。"))
        source = (args.get("source") or "").strip()
        if source and source not in SOURCES:
            raise Invalid(_("来源参数无效。"))
        return cls(compound_id, company_id, dimension_id, args.get("low") == "1", source)

    def args(self) -> dict[str, str]:
        """The filters as a query string writes them (for the pager and the download link)."""
        out = {"compound": self.compound_id, "company": self.company_id, "dimension": self.dimension_id,
               "low": "1" if self.low else None, "source": self.source or None}
        return {k: str(v) for k, v in out.items() if v is not None}


def _optional_id(args: Mapping[str, str], name: str, label: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        raise Invalid(_("「%(label)s」参数无效。", label=label))
    return value


@dataclass
class CommentGroup:
    """Identical (masked) texts of one compound and one source: what was said and how many said it."""

    text: str
    count: int
    compound: str
    company: str
    source: str  # COMMENT, TEXT or REQUEST
    label: str  # where it came from, in words: the comment box, the question's text, 求助跟进
    latest: date  # the date of the latest one (never the time)


@dataclass
class CommentList:
    """The groups of an area under the filters, and how many texts were left out as advertising."""

    groups: list[CommentGroup]
    adverts: int  # texts that look like advertising: counted, never listed


@dataclass
class CommentPage:
    """One page of the list, with the whole list's counts."""

    groups: list[CommentGroup]
    total: int  # groups in the whole list
    texts: int  # texts in the whole list (the sum of the counts)
    number: int
    pages: int
    withheld: int  # compounds in the area with a group under MIN_GROUP: none of their texts is shown
    adverts: int = 0  # texts left out as advertising (of the compounds whose texts are shown)


def normalise(text: str) -> str:
    """The text as it is compared and shown: masked, whitespace runs as one space, no ends."""
    return mask(" ".join(text.split()))


def comment_page(campaign: Campaign, area, filters: Filters, number: int = 1,
                 per_page: int = PER_PAGE) -> CommentPage:
    """One page of the groups (most said first, then the latest), with the whole list's counts."""
    listed = comment_list(campaign, area, filters)
    groups = listed.groups
    total = len(groups)
    number, pages = clamp(total, number, per_page)
    return CommentPage(groups[(number - 1) * per_page:number * per_page], total, sum(g.count for g in groups),
                       number, pages, withheld_compounds(campaign, area, filters), listed.adverts)


def comment_groups(campaign: Campaign, area, filters: Filters, limit: int | None = None) -> list[CommentGroup]:
    """Every group of the area under the filters, most said first, then the latest, at most `limit`."""
    return comment_list(campaign, area, filters, limit).groups


def comment_list(campaign: Campaign, area, filters: Filters, limit: int | None = None) -> CommentList:
    """The groups (as `comment_groups`) and the count of texts left out as advertising."""
    merged: dict[tuple, list] = {}
    seen: dict[str, str | None] = {}  # a text as written: as shown, or None for an advert
    adverts = 0
    for compound_id, company_id, source, question_id, raw, count, latest in _texts(campaign, area, filters):
        raw = raw or ""
        if raw not in seen:
            seen[raw] = None if is_advert(raw) is not None else normalise(raw)
        text = seen[raw]
        if text is None:
            adverts += count
            continue
        if not text:
            continue
        key = (compound_id, company_id, source, question_id, text)
        entry = merged.get(key)
        if entry is None:
            merged[key] = [count, latest]
        else:
            entry[0] += count
            entry[1] = max(entry[1], latest)
    compounds = _names(Compound, {k[0] for k in merged})
    companies = _names(Company, {k[1] for k in merged if k[1] is not None})
    questions = {q.id: q.text for q in campaign.questions}
    groups = [CommentGroup(text=text, count=count, compound=compounds.get(compound_id, ""),
                           company=companies.get(company_id, ""), source=source,
                           label=_label(source, questions.get(question_id, "")), latest=_day(latest))
              for (compound_id, company_id, source, question_id, text), (count, latest) in merged.items()]
    groups.sort(key=lambda g: (-g.count, -g.latest.toordinal(), g.compound, g.label, g.text))
    return CommentList(groups[:limit] if limit is not None else groups, adverts)


def withheld_compounds(campaign: Campaign, area, filters: Filters) -> int:
    """How many compounds of the area (and of the compound and company filters) have a group of
    published responses under MIN_GROUP, whose texts are therefore not shown."""
    small = (select(Response.compound_id).where(*_scope(campaign, area, filters))
             .group_by(Response.compound_id, Response.company_id).having(func.count(Response.id) < MIN_GROUP))
    return db.session.scalar(select(func.count()).select_from(small.distinct().subquery())) or 0


def compound_choices(area) -> list[tuple[int, str]]:
    """(id, name) of the area's compounds, for the compound filter."""
    return list(db.session.execute(select(Compound.id, Compound.name).where(on_compound(area))
                                   .order_by(Compound.name, Compound.id)).all())


def company_choices(area) -> list[tuple[int, str]]:
    """(id, name) of the companies managing a compound of the area, for the company filter."""
    inside = select(Compound.company_id).where(on_compound(area), Compound.company_id.is_not(None))
    return list(db.session.execute(select(Company.id, Company.name).where(Company.id.in_(inside))
                                   .order_by(Company.name)).all())


def on_compound(area):
    """The area as a condition on Compound: an `Area`, or already such a condition (the shared area
    picker's `compound_clause`, with the user's jurisdiction)."""
    return area.compound_clause() if isinstance(area, Area) else area


def source_label(source: str) -> str:
    """A source's name for the filter."""
    return {COMMENT: _("意见建议栏"), TEXT: _("问卷填空题"), REQUEST: _("求助跟进")}.get(source, source)


def _label(source: str, question_text: str) -> str:
    if source == TEXT:
        return question_text or _("问卷填空题")
    return source_label(source)


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _names(model, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {i: name for i, name in db.session.execute(select(model.id, model.name).where(model.id.in_(ids)))}


def _scope(campaign: Campaign, area, filters: Filters) -> list:
    """Conditions on Response: published, of the campaign, in the area and the compound/company filters."""
    out = [Response.campaign_id == campaign.id, Response.status == "published",
           Response.compound_id.in_(select(Compound.id).where(on_compound(area)))]
    if filters.compound_id is not None:
        out.append(Response.compound_id == filters.compound_id)
    if filters.company_id is not None:
        out.append(Response.company_id == filters.company_id)
    return out


def _shown_groups(campaign: Campaign, area, filters: Filters):
    """A subquery of the (compound, company) groups with MIN_GROUP published responses or more."""
    return (select(Response.compound_id.label("compound_id"),
                   func.coalesce(Response.company_id, 0).label("company_key"))
            .where(*_scope(campaign, area, filters))
            .group_by(Response.compound_id, Response.company_id)
            .having(func.count(Response.id) >= MIN_GROUP)).subquery()


def _low_clause(filters: Filters):
    """The response scored the dimension low (an answer ≤ LOW), or without a dimension: its overall
    answer ≤ LOW or its index under LOW_INDEX. None when neither filter is set."""
    if filters.dimension_id is not None:
        return exists(select(Answer.id).join(Question, Question.id == Answer.question_id)
                      .where(Answer.response_id == Response.id, Question.dimension_id == filters.dimension_id,
                             Question.kind == SCORED_KIND, Answer.value.is_not(None), Answer.value <= LOW))
    if filters.low:
        return (Response.overall <= LOW) | (Response.score < LOW_INDEX)
    return None


def _texts(campaign: Campaign, area, filters: Filters) -> Iterator[tuple]:
    """(compound_id, company_id, source, question_id, text, count, latest) of every distinct text,
    streamed: one grouped query per source the filters admit."""
    shown = _shown_groups(campaign, area, filters)
    where = _scope(campaign, area, filters)
    low = _low_clause(filters)
    if low is not None:
        where.append(low)
    in_shown = and_(shown.c.compound_id == Response.compound_id,
                    shown.c.company_key == func.coalesce(Response.company_id, 0))
    keys = (Response.compound_id, Response.company_id)
    queries = {
        COMMENT: select(*keys, Response.comment, func.count(), func.max(Response.updated_at))
        .join(shown, in_shown).where(*where, Response.comment.is_not(None))
        .group_by(*keys, Response.comment),
        TEXT: select(*keys, Answer.question_id, Answer.text, func.count(), func.max(Response.updated_at))
        .join(shown, in_shown).join(Answer, Answer.response_id == Response.id)
        .join(Question, Question.id == Answer.question_id)
        .where(*where, Question.kind == "text", Answer.text.is_not(None))
        .group_by(*keys, Answer.question_id, Answer.text),
        REQUEST: select(*keys, RectificationRequest.text, func.count(), func.max(RectificationRequest.created_at))
        .join(shown, in_shown)
        .join(RectificationRequest, and_(RectificationRequest.household_id == Response.household_id,
                                         RectificationRequest.campaign_id == Response.campaign_id))
        .where(*where).group_by(*keys, RectificationRequest.text),
    }
    for source, query in queries.items():
        if filters.source and filters.source != source:
            continue
        for row in db.session.execute(query.execution_options(yield_per=STREAM)):
            if source == TEXT:
                compound_id, company_id, question_id, text, count, latest = row
            else:
                (compound_id, company_id, text, count, latest), question_id = row, None
            yield compound_id, company_id, source, question_id, text, count, latest
