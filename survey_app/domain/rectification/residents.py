"""The residents' side of rectification: asking for a follow-up, seeing the compound's items, saying
whether a submitted item is fixed.

- A household may ask "请物业跟进我的问题" in the survey (one request per round, `rules.raise_request`);
  only for such an item may the item's company see the household's address (`requests_of`,
  behind `access.may_see_requesters`). Unticking it withdraws the request.
- A household sees the items of its compound with their states in plain words (`compound_items`),
  never another household's words or address.
- When the company submits an item as fixed, the compound's respondents (published responses) and
  the households that asked for it are asked "已解决 / 未解决 / 不清楚" once per submission
  (`pending_confirmations`, `record_confirmations`); the officer sees the counts before verifying
  (`confirmation_counts`), a majority of "未解决" as a warning.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from ...database import parse_id
from ...errors import Invalid
from ...extensions import db
from ...models import (Campaign, Compound, Household, RectificationConfirmation, RectificationEvent, RectificationItem,
                       RectificationRequest, Response)
from ...models.rectification import CONFIRMATION_ANSWERS
from ..clock import now
from ..stats.adverts import ADVERT_SHOWN, shown_text
from ..stats.privacy import mask
from .rules import TEXT_MAX, categories, raise_request
from .states import OTHER, OTHER_LABEL, RESIDENT_LABELS

# The survey form's fields of the follow-up request.
FIELD_TICK, FIELD_CATEGORY, FIELD_TEXT = "followup", "followup_category", "followup_text"
FIELD_PREFIX = "item-"  # the confirmation form: item-<id> = fixed | not_fixed | unsure
WITHDRAWN = "居民撤回求助"  # the event note on an item whose request was withdrawn (kept in Chinese, like all notes)


@dataclass(frozen=True)
class FollowUp:
    """A ticked "please follow up on my problem": its category and the resident's words."""

    category_key: str
    text: str


@dataclass(frozen=True)
class ResidentItem:
    """An item of the household's compound as a resident reads it: no evidence, nobody's words."""

    id: int
    category: str
    category_en: str | None
    status: str
    state: str  # plain words (states.RESIDENT_LABELS)
    raised: date
    deadline: date | None
    submitted: date | None
    verified: date | None
    closed: date | None
    mine: bool  # this household asked for a follow-up of it


@dataclass(frozen=True)
class ConfirmationCounts:
    """Residents' answers to the item's current submission."""

    fixed: int
    not_fixed: int
    unsure: int
    total: int
    warning: bool  # more than half answered "not fixed"


@dataclass(frozen=True)
class RequestRow:
    """One household's follow-up request, for those who may see who asked (access.may_see_requesters)."""

    address: str
    text: str
    at: datetime


# ---------------------------------------------------------------- asking for a follow-up

def followup_choices(campaign: Campaign) -> list[tuple[str, str, str | None]]:
    """The categories a resident may pick (`rules.categories`): (key, label, English label or None)."""
    english = {d.key: d.name_en for d in campaign.dimensions}
    return [(key, OTHER_LABEL if key == OTHER else label, english.get(key))
            for key, label in categories(campaign).items()]


def parse_followup(campaign: Campaign, form: Mapping) -> tuple[FollowUp | None, str | None]:
    """Read the survey's follow-up part: (the request or None when unticked, a form error or None).

    A missing category or description while ticked is a form error (shown on the question).
    :raise Invalid: what the form never sends: another value of the checkbox, an unknown category,
        a description over TEXT_MAX characters.
    """
    tick = form.get(FIELD_TICK) or ""
    if tick == "":
        return None, None
    if tick != "1":
        raise Invalid(_("“请物业跟进我的问题”的取值无效。"))
    key = (form.get(FIELD_CATEGORY) or "").strip()
    text = form.get(FIELD_TEXT) or ""
    if key and key not in categories(campaign):
        raise Invalid(_("问题类别无效，请在列出的类别中选择。"))
    if len(" ".join(text.split())) > TEXT_MAX:
        raise Invalid(_("问题描述不能超过 %(n)s 个字。", n=TEXT_MAX))
    if "\x00" in text:
        return None, _("问题描述中含有无法保存的字符。")
    if not key:
        return None, _("请选择需要物业跟进的问题类别。")
    if not text.strip():
        return None, _("请简要描述需要物业跟进的问题，或取消勾选“请物业跟进我的问题”。")
    return FollowUp(key, text.strip()), None


_SAVED = select(RectificationRequest).where(RectificationRequest.campaign_id == bindparam("campaign_id"),
                                            RectificationRequest.household_id == bindparam("household_id"))


def saved_request(campaign: Campaign, household) -> RectificationRequest | None:
    """The household's follow-up request of this round, if any."""
    return db.session.scalar(_SAVED, {"campaign_id": campaign.id, "household_id": household.id})


def followup_values(campaign: Campaign, household) -> dict[str, str]:
    """The household's saved request as the survey form's values (empty when there is none)."""
    request = saved_request(campaign, household)
    if request is None:
        return {}
    return {FIELD_TICK: "1", FIELD_CATEGORY: request.item.category_key, FIELD_TEXT: request.text}


def _withdrawn(item: RectificationItem) -> None:
    db.session.add(RectificationEvent(item=item, at=now(), actor="resident", from_state=item.status,
                                      to_state=item.status, note=WITHDRAWN))


def apply_followup(campaign: Campaign, household: Household, followup: FollowUp | None) -> RectificationRequest | None:
    """Save the survey's follow-up part with the response (the caller's transaction): raise or
    change the household's request, or withdraw it (the item stays, its history notes the withdrawal).

    :raise Invalid: as `rules.raise_request`.
    """
    request = saved_request(campaign, household)
    if followup is None:
        if request is not None:
            _withdrawn(request.item)
            db.session.delete(request)
            db.session.flush()
        return None
    if request is not None and request.item.category_key != followup.category_key:
        _withdrawn(request.item)  # the request moves to the item of its new category
    return raise_request(campaign, household, followup.category_key, followup.text)


# ---------------------------------------------------------------- what a resident sees

def compound_items(campaign: Campaign, household, own: bool = True, dimensions=None) -> list[ResidentItem]:
    """The items of the household's compound in this campaign, oldest first, in plain words; which
    one the household asked for is said only on its own device (`own`). `dimensions`: the campaign's,
    when the caller has them already (the survey's kept questionnaire)."""
    items = db.session.scalars(select(RectificationItem).where(
        RectificationItem.campaign_id == campaign.id, RectificationItem.compound_id == household.compound_id)
        .order_by(RectificationItem.created_at, RectificationItem.id)).all()
    mine = saved_request(campaign, household) if own else None
    english = {d.key: d.name_en for d in (campaign.dimensions if dimensions is None else dimensions)}
    return [ResidentItem(
        id=i.id, category=OTHER_LABEL if i.category_key == OTHER else i.category,
        category_en=english.get(i.category_key), status=i.status, state=RESIDENT_LABELS[i.status],
        raised=i.created_at.date(), deadline=i.deadline if i.status not in ("open", "closed") else None,
        submitted=i.submitted_at.date() if i.submitted_at and i.status in ("submitted", "returned", "verified") else None,
        verified=i.verified_at.date() if i.verified_at and i.status == "verified" else None,
        closed=i.closed_at.date() if i.closed_at and i.status == "closed" else None,
        mine=mine is not None and mine.item_id == i.id) for i in items]


# ---------------------------------------------------------------- "has it been fixed?"

def _has_published_response(campaign: Campaign, household) -> bool:
    return db.session.scalar(select(Response.id).where(
        Response.campaign_id == campaign.id, Response.household_id == household.id,
        Response.status == "published")) is not None


def _asked_items(campaign: Campaign, household) -> list[RectificationItem]:
    """The submitted items this household is asked about (answered or not)."""
    items = db.session.scalars(select(RectificationItem).where(
        RectificationItem.campaign_id == campaign.id, RectificationItem.compound_id == household.compound_id,
        RectificationItem.status == "submitted").order_by(RectificationItem.submitted_at, RectificationItem.id)).all()
    if not items:  # nothing submitted in the compound: nobody is asked, and no more to read
        return []
    if _has_published_response(campaign, household):
        return list(items)
    request = saved_request(campaign, household)
    return [i for i in items if request is not None and request.item_id == i.id]


def _answers_of(household, items) -> dict[int, RectificationConfirmation]:
    """The household's confirmations of these items' current submissions, by item id."""
    if not items:
        return {}
    current = {i.id: i.submissions for i in items}
    rows = db.session.scalars(select(RectificationConfirmation).where(
        RectificationConfirmation.household_id == household.id,
        RectificationConfirmation.item_id.in_(list(current))))
    return {c.item_id: c for c in rows if c.submission == current[c.item_id]}


def pending_confirmations(campaign: Campaign, household) -> list[RectificationItem]:
    """The submitted items of the household's compound whose current submission it has not answered:
    asked of households with a published response in this campaign, and of the household that asked
    for a follow-up of the item."""
    items = _asked_items(campaign, household)
    answered = _answers_of(household, items)
    return [i for i in items if i.id not in answered]


def submitted_note(item: RectificationItem) -> str:
    """What the company said it did when it last submitted the item, masked (stats.privacy.mask)."""
    note = db.session.scalar(select(RectificationEvent.note).where(
        RectificationEvent.item_id == item.id, RectificationEvent.to_state == "submitted",
        RectificationEvent.from_state != "submitted").order_by(RectificationEvent.id.desc()).limit(1))
    return mask(note or "")


def parse_confirmations(form: Mapping) -> dict[int, str]:
    """Read the confirmation form: item-<id> = fixed | not_fixed | unsure (other fields are ignored).

    :raise Invalid: an item id or an answer the form never sends.
    """
    out: dict[int, str] = {}
    for name in form:
        if not isinstance(name, str) or not name.startswith(FIELD_PREFIX):
            continue
        item_id = parse_id(name[len(FIELD_PREFIX):])
        answer = form.get(name)
        if item_id is None:
            raise Invalid(_("确认的整改事项无效。"))
        if answer not in CONFIRMATION_ANSWERS:
            raise Invalid(_("回答无效：请选择“已解决”“未解决”或“不清楚”。"))
        out[item_id] = answer
    return out


def record_confirmations(campaign: Campaign, household, answers: dict[int, str]) -> int:
    """Store the household's answers to items' current submissions; return how many were new.

    Idempotent: an item already answered for this submission (a replayed form) keeps one row, with
    the latest answer. A concurrent twin of the same form meets the unique constraint: its savepoint
    is rolled back and the answers written again as updates, so nothing is duplicated.
    :raise Invalid: an item this household is not asked about now, or an unknown answer.
    """
    if any(a not in CONFIRMATION_ANSWERS for a in answers.values()):
        raise Invalid(_("回答无效：请选择“已解决”“未解决”或“不清楚”。"))
    asked = {i.id: i for i in _asked_items(campaign, household)}
    if any(item_id not in asked for item_id in answers):
        raise Invalid(_("该整改事项不需要您确认，或已不在等待确认的状态。"))
    for attempt in (1, 2):
        try:
            with db.session.begin_nested():
                return _write_confirmations(household, asked, answers)
        except IntegrityError:
            if attempt == 2:
                raise
    return 0  # pragma: no cover  (the loop returns or raises)


def _write_confirmations(household, asked: dict[int, RectificationItem], answers: dict[int, str]) -> int:
    existing = _answers_of(household, list(asked.values()))
    new = 0
    when = now()
    for item_id, answer in answers.items():
        row = existing.get(item_id)
        if row is None:
            db.session.add(RectificationConfirmation(item_id=item_id, household_id=household.id,
                                                     submission=asked[item_id].submissions, answer=answer, at=when))
            new += 1
        elif row.answer != answer:
            row.answer, row.at = answer, when
    db.session.flush()
    return new


def confirmation_counts(item: RectificationItem) -> ConfirmationCounts:
    """Residents' answers to the item's current submission; a warning when most said "not fixed"."""
    rows = dict(db.session.execute(
        select(RectificationConfirmation.answer, func.count()).where(
            RectificationConfirmation.item_id == item.id,
            RectificationConfirmation.submission == (item.submissions or 0))
        .group_by(RectificationConfirmation.answer)).all())
    fixed, not_fixed, unsure = (int(rows.get(a, 0)) for a in CONFIRMATION_ANSWERS)
    total = fixed + not_fixed + unsure
    return ConfirmationCounts(fixed, not_fixed, unsure, total, total > 0 and not_fixed > total / 2)


def requests_of(item: RectificationItem) -> list[RequestRow]:
    """The households that asked for a follow-up of this item: address, their words (masked), when.

    Only for those `access.may_see_requesters` allows (the item's company, officers who see the item).
    """
    rows = db.session.execute(
        select(RectificationRequest, Household, Compound)
        .join(Household, Household.id == RectificationRequest.household_id)
        .join(Compound, Compound.id == Household.compound_id)
        .where(RectificationRequest.item_id == item.id)
        .order_by(RectificationRequest.created_at, RectificationRequest.id)).all()
    return [RequestRow(address=f"{compound.name} {household.label}", text=shown_text(request.text) or ADVERT_SHOWN,
                       at=request.created_at)
            for request, household, compound in rows]
