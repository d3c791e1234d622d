"""Rectification items generated from low dimension scores, and their life cycle."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from .. import access
from ..errors import Refusal
from ..extensions import db
from ..models import Campaign, Compound, RectificationItem
from . import audit
from .stats.aggregates import dimension_stats_by_compound
from .clock import now

# The documented rule (docs/scoring.md): a compound gets an item for a dimension when at least
# MIN_RESPONSES households answered it and its score is below SCORE_BELOW or its satisfaction
# rate below RATE_BELOW. The company has DEADLINE_DAYS to fix it.
MIN_RESPONSES = 5
SCORE_BELOW = 60.0
RATE_BELOW = 0.60
DEADLINE_DAYS = 30

STATUS_LABELS = {"open": _l("待整改"), "in_progress": _l("整改中"), "submitted": _l("待核验"), "verified": _l("已核验")}
NEXT_STATUS = {"open": ("in_progress",), "in_progress": ("submitted",), "submitted": ("verified", "in_progress")}


@dataclass
class GenerateResult:
    created: int = 0
    existing: int = 0


def needs_rectification(n: int, score: float | None, rate: float | None) -> bool:
    """None figures are a group too small to show (stats.privacy): no item names them."""
    if n < MIN_RESPONSES or score is None or rate is None:
        return False
    return score < SCORE_BELOW or rate < RATE_BELOW


def generate(campaign: Campaign, compound_clause=True, user=None) -> GenerateResult:
    """Create the items the rule calls for that do not exist yet (idempotent); the caller commits.

    With a user (a staff member asking for it) the generation is audited in their jurisdiction."""
    compound_ids = db.session.scalars(select(Compound.id).where(compound_clause)).all()
    stats = dimension_stats_by_compound(campaign.id, compound_ids)
    dims = {d.id: d for d in campaign.dimensions}
    existing = set(db.session.execute(
        select(RectificationItem.compound_id, RectificationItem.dimension_id)
        .where(RectificationItem.campaign_id == campaign.id)).all())
    companies = dict(db.session.execute(select(Compound.id, Compound.company_id)
                                        .where(Compound.id.in_(compound_ids))).all())
    result = GenerateResult()
    when = now()
    for (cid, did), s in sorted(stats.items()):
        if not needs_rectification(s.n, s.mean, s.satisfaction_rate):
            continue
        if (cid, did) in existing:
            result.existing += 1
            continue
        dim = dims[did]
        db.session.add(RectificationItem(
            campaign_id=campaign.id, compound_id=cid, company_id=companies.get(cid), dimension_id=did,
            category=dim.name, category_key=dim.key,
            evidence=(f"{dim.name}得分 {s.mean:.1f}（满分100），满意率 {s.satisfaction_rate:.0%}，"
                      f"{s.n} 户作答"),
            deadline=(when + timedelta(days=DEADLINE_DAYS)).date(), status="open", created_at=when,
        ))
        result.created += 1
    if user is not None:
        audit.record("rectification.generate", f"campaign:{campaign.id}", user=user,
                     detail=f"新生成整改事项 {result.created} 条，已存在 {result.existing} 条",
                     after={"created": result.created, "existing": result.existing}, where=audit.where_user(user))
    return result


class StepRefused(Refusal):
    """A status change this user or this item's state does not allow (409 unless said)."""


def advance(item: RectificationItem, new_status: str, user=None) -> None:
    """Move an item along its life cycle; refuse a jump the cycle, or the user, does not allow
    (which steps a user may take is decided in `access.rectification_steps`)."""
    if user is not None and new_status not in (steps := access.rectification_steps(user)):
        allowed = "、".join(f"“{STATUS_LABELS[s]}”" for s in steps)
        who = _("企业") if access.is_company(user) else _("工作人员")
        raise StepRefused(_("%(who)s只能将整改事项标记为%(allowed)s。", who=who, allowed=allowed), status=400)
    if new_status not in NEXT_STATUS.get(item.status, ()):
        raise StepRefused(_("不能从「%(old)s」变为「%(new)s」", old=str(STATUS_LABELS[item.status]),
                            new=str(STATUS_LABELS.get(new_status, new_status))))
    old = item.status
    item.status = new_status
    item.verified_at = now() if new_status == "verified" else None
    compound = db.session.get(Compound, item.compound_id)
    audit.record("rectification.step", f"rectification:{item.id}", user=user,
                 detail=f"{compound.name if compound else ''} {item.category}：{old} → {new_status}",
                 before={"status": old}, after={"status": new_status},
                 where=audit.where_compound(compound) if compound else audit.Jurisdiction(company_id=item.company_id))


def is_overdue(item: RectificationItem, today=None) -> bool:
    return bool(item.overdue_on(today or now().date()))
