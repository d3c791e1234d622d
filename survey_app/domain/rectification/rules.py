"""Where rectification items come from, one rule each (docs/rectification.md gives the parameters):

(a) low score: a compound's dimension answered by at least MIN_RESPONSES households with a score
    below SCORE_BELOW or a satisfaction rate below RATE_BELOW;
(b) category: a problem category ("which most need improving?") named by at least
    RECTIFICATION_CATEGORY_SHARE of a compound's respondents (at least MIN_RESPONSES of them);
(c) request: a resident asked for a follow-up of their own problem;
(d) inspection: an officer recorded a problem found on a walk-round.

An item is unique per round, compound and category (a dimension's key, or "other"): a second
source for the same problem adds its evidence to the existing item as an event instead of a twin.
Rules (a) and (b) raise items "open" (an officer hands them to the company); published responses
only, and never a group under MIN_GROUP.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ...errors import Invalid
from ...extensions import db
from ...models import (Campaign, Compound, Household, RectificationEvent, RectificationItem, RectificationRequest,
                       Response)
from .. import audit
from ..clock import now
from ..stats.adverts import ADVERT_SHOWN, is_advert, shown_text
from ..stats.aggregates import dimension_stats_by_compound
from ..stats.categories import category_shares
from ..stats.comments import normalise
from ..stats.privacy import MIN_GROUP
from .states import OTHER, OTHER_NAME

MIN_RESPONSES = MIN_GROUP
SCORE_BELOW = 60.0
RATE_BELOW = 0.60
DEADLINE_DAYS = 30  # the default of RECTIFICATION_DEADLINE_DAYS
SAMPLES = 3  # sample comments kept as evidence
TEXT_MAX = 1000  # characters of a resident's request or an inspection's description


@dataclass
class GenerateResult:
    created: int = 0
    existing: int = 0


def needs_rectification(n: int, score: float | None, rate: float | None) -> bool:
    """Rule (a). None figures are a group too small to show (stats.privacy): no item names them."""
    if n < MIN_RESPONSES or score is None or rate is None:
        return False
    return score < SCORE_BELOW or rate < RATE_BELOW


def categories(campaign: Campaign) -> dict[str, str]:
    """The categories an item may have in this campaign: its dimensions' keys and "other", with labels."""
    out = {d.key: d.name for d in campaign.dimensions}
    out[OTHER] = OTHER_NAME
    return out


def _existing(campaign_id: int, compound_ids=None) -> dict[tuple[int, str], RectificationItem]:
    query = select(RectificationItem).where(RectificationItem.campaign_id == campaign_id)
    if compound_ids is not None:
        query = query.where(RectificationItem.compound_id.in_(compound_ids))
    return {(i.compound_id, i.category_key): i for i in db.session.scalars(query)}


def _new_item(campaign: Campaign, compound: Compound, key: str, source: str, evidence: str, user=None,
              **figures) -> RectificationItem:
    dims = {d.key: d for d in campaign.dimensions}
    item = RectificationItem(
        campaign_id=campaign.id, compound_id=compound.id, company_id=compound.company_id,
        dimension_id=dims[key].id if key in dims else None, category_key=key,
        category=categories(campaign).get(key, OTHER_NAME), source=source, evidence=evidence,
        status="open", created_at=now(), created_by_id=getattr(user, "id", None), **figures)
    item.compound = compound
    db.session.add(item)
    db.session.add(RectificationEvent(item=item, at=item.created_at, user_id=getattr(user, "id", None),
                                      actor=getattr(user, "username", "") if user else source,
                                      from_state=None, to_state="open", note=evidence))
    return item


def _add_evidence(item: RectificationItem, note: str, user=None, actor: str = "") -> None:
    """A second source for an existing item: kept in its history, the item stays as it is."""
    db.session.add(RectificationEvent(item=item, at=now(), user_id=getattr(user, "id", None),
                                      actor=actor or (getattr(user, "username", "") if user else "system"),
                                      from_state=item.status, to_state=item.status, note=note))


def sample_comments(campaign_id: int, compound_id: int, limit: int = SAMPLES) -> list[str]:
    """A few comments of the compound's published responses, the lowest scores first, masked;
    advertising (`adverts.is_advert`) is never one of them."""
    rows = db.session.scalars(
        select(Response.comment).where(Response.campaign_id == campaign_id, Response.compound_id == compound_id,
                                       Response.status == "published", Response.comment.is_not(None),
                                       Response.comment != "")
        .order_by(Response.score.asc().nulls_last(), Response.id).limit(limit * 10)).all()
    out: list[str] = []
    for text in rows:
        if is_advert(text) is not None:
            continue
        masked = normalise(text)[:200]
        if masked not in out:
            out.append(masked)
    return out[:limit]


def generate(campaign: Campaign, compound_clause=True, user=None) -> GenerateResult:
    """Raise the items rules (a) and (b) call for that do not exist yet (idempotent); the caller commits.

    With a user (a staff member asking for it) the generation is audited in their jurisdiction."""
    compounds = {c.id: c for c in db.session.scalars(select(Compound).where(compound_clause))}
    stats = dimension_stats_by_compound(campaign.id, list(compounds))
    dims = {d.id: d for d in campaign.dimensions}
    existing = _existing(campaign.id)
    result = GenerateResult()
    samples: dict[int, str] = {}

    def evidence_samples(cid: int) -> str:
        if cid not in samples:
            samples[cid] = json.dumps(sample_comments(campaign.id, cid), ensure_ascii=False)
        return samples[cid]

    for (cid, did), s in sorted(stats.items()):
        if not needs_rectification(s.n, s.mean, s.satisfaction_rate):
            continue
        dim = dims[did]
        if (cid, dim.key) in existing:
            result.existing += 1
            continue
        existing[(cid, dim.key)] = _new_item(
            campaign, compounds[cid], dim.key, "low_score",
            f"{dim.name}得分 {s.mean:.1f}（满分100），满意率 {s.satisfaction_rate:.0%}，{s.n} 户作答",
            user=user, score=s.mean, rate=s.satisfaction_rate, respondents=s.n, samples=evidence_samples(cid))
        result.created += 1
    _generate_categories(campaign, compounds, existing, result, evidence_samples, user)
    if user is not None:
        audit.record("rectification.generate", f"campaign:{campaign.id}", user=user,
                     detail=f"新生成整改事项 {result.created} 条，已存在 {result.existing} 条",
                     after={"created": result.created, "existing": result.existing}, where=audit.where_user(user))
    return result


def _generate_categories(campaign, compounds, existing, result, evidence_samples, user=None) -> None:
    """Rule (b), once the questionnaire has a multiple-choice "which most need improving?" question."""
    shares = category_shares(campaign.id, list(compounds))
    threshold = float(current_app.config.get("RECTIFICATION_CATEGORY_SHARE", 0.30))
    labels = categories(campaign)
    for cid, by_key in sorted(shares.items()):
        for key, s in sorted(by_key.items()):
            if s.n < MIN_RESPONSES or s.share is None or s.share < threshold:
                continue
            key = key if key in labels else OTHER
            evidence = f"{s.n} 户作答中 {s.named} 户（{s.share:.0%}）认为“{labels[key]}”最需要改进"
            if (cid, key) in existing:
                item = existing[(cid, key)]
                if item.share is None:  # raised by another rule: add this evidence once
                    item.share = s.share
                    _add_evidence(item, evidence, user=user)
                result.existing += 1
                continue
            existing[(cid, key)] = _new_item(campaign, compounds[cid], key, "category", evidence, user=user,
                                             respondents=s.n, share=s.share, samples=evidence_samples(cid))
            result.created += 1


def _checked_text(text: str, what: str) -> str:
    text = " ".join((text or "").split())
    if "\x00" in text:  # PostgreSQL cannot store NUL in text
        raise Invalid(_("%(what)s中含有无法保存的字符。", what=what))
    if not text:
        raise Invalid(_("请填写%(what)s。", what=what))
    if len(text) > TEXT_MAX:
        raise Invalid(_("%(what)s不能超过 %(n)s 个字。", what=what, n=TEXT_MAX))
    return text


def _checked_category(campaign: Campaign, key: str) -> str:
    key = (key or "").strip()
    if key not in categories(campaign):
        raise Invalid(_("请选择问题类别。"))
    return key


def raise_request(campaign: Campaign, household: Household, category_key: str, text: str) -> RectificationRequest:
    """Rule (c): a resident asks for a follow-up of their own problem (one request per household and
    round; asking again replaces the words). Joins the compound's item of that category, or raises one.
    Only for such an item may the company see the household's address (access.may_see_requesters)."""
    key = _checked_category(campaign, category_key)
    text = _checked_text(text, _("问题描述"))
    compound = db.session.get(Compound, household.compound_id)
    request = db.session.scalar(select(RectificationRequest).where(
        RectificationRequest.campaign_id == campaign.id, RectificationRequest.household_id == household.id))
    item = _existing(campaign.id, [compound.id]).get((compound.id, key))
    masked = (shown_text(text) or ADVERT_SHOWN)[:200]  # an advert pasted here never reaches the company
    if item is None:
        item = _new_item(campaign, compound, key, "request", f"居民求助：{masked}")
    elif request is None or request.item_id != item.id:
        _add_evidence(item, f"又有居民求助：{masked}", actor="resident")
    if request is None:
        request = RectificationRequest(campaign_id=campaign.id, household_id=household.id, created_at=now())
        db.session.add(request)
    request.item, request.text = item, text
    return request


def raise_inspection(campaign: Campaign, compound: Compound, category_key: str, description: str,
                     user) -> RectificationItem:
    """Rule (d): an officer records a problem found on a walk-round (photos are added by the caller
    through `photos.accept_photos`). Joins the compound's item of that category, or raises one."""
    key = _checked_category(campaign, category_key)
    description = _checked_text(description, _("问题描述"))
    item = _existing(campaign.id, [compound.id]).get((compound.id, key))
    if item is None:
        item = _new_item(campaign, compound, key, "inspection", f"巡查发现：{description[:200]}",
                         user=user, description=description)
    else:
        _add_evidence(item, f"巡查发现：{description}", user=user)
    audit.record("rectification.inspection", f"compound:{compound.id}", user=user,
                 detail=f"{compound.name} {item.category}：{description[:200]}",
                 after={"category": key, "description": description[:200]}, where=audit.where_compound(compound))
    return item


HOTLINE_NOTE = "12345 热线工单 %s（"  # how a work order's evidence begins: found again by its id


def hotline_item(work_order: str) -> RectificationItem | None:
    """The item a hotline work order became or joined, if it was received before (idempotency)."""
    item = db.session.scalar(select(RectificationItem).where(RectificationItem.external_ref == work_order))
    if item is not None:
        return item
    return db.session.scalar(
        select(RectificationItem).join(RectificationEvent, RectificationEvent.item_id == RectificationItem.id)
        .where(RectificationEvent.note.startswith(HOTLINE_NOTE % work_order, autoescape=True))
        .order_by(RectificationEvent.id).limit(1))


def raise_hotline(campaign: Campaign, compound: Compound, category_key: str, text: str, work_order: str,
                  received_at, actor: str) -> tuple[RectificationItem, bool]:
    """A 12345 hotline work order about the compound's property service (from the city's platform).

    Joins the compound's item of that category as evidence, or raises one with source "hotline"
    and `external_ref` = the work order id. The words are masked (stats.privacy) before they are
    stored: the company reads them, and the caller's number stays in the hotline's own system.
    Returns the item and whether it was there before (the work order joined it).
    """
    key = _checked_category(campaign, category_key)
    text = _checked_text(text, _("工单内容"))
    masked = (shown_text(text) or ADVERT_SHOWN)[:TEXT_MAX]
    note = f"{HOTLINE_NOTE % work_order}{received_at:%Y-%m-%d %H:%M} 受理）：{masked[:200]}"
    item = _existing(campaign.id, [compound.id]).get((compound.id, key))
    if item is not None:
        _add_evidence(item, note, actor=actor)
        return item, True
    item = _new_item(campaign, compound, key, "hotline", note, description=masked, external_ref=work_order)
    item.events[0].actor = actor
    return item, False
