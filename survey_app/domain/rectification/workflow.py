"""The moves of a rectification item, each kept as an event (who, when, from, to, note).

A deadline names the state the company must reach by then: submitted for verification. When it
passes while the company still holds the item (assigned, in progress, sent back), the item has
missed it, and `deadline_missed` stays set after a later fix (helpdesk practice: a missed deadline
stays missed). The flag is written at the next move of the item or by `mark_overdue` (the daily
`flask rectify sweep`); pages read `RectificationItem.missed_on(today)`, which also covers items
nobody has touched since.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update

from ... import access
from ...errors import Forbidden, Invalid, Refusal
from ...extensions import db
from ...models import Company, Compound, RectificationEvent, RectificationItem
from ...models.rectification import COMPANY_HELD
from .. import audit
from ..clock import now
from .states import ACTION_LABELS, MOVES, STATUS_LABELS

NOTE_MAX = 2000  # characters of a note, a reason or "what was done"
DEADLINE_MAX_DAYS = 366


class ActionRefused(Refusal):
    """A move this item's state, or this user, does not allow (409 unless said)."""

    status = 409


def allowed_actions(item: RectificationItem, user) -> list[str]:
    """The moves this user may make on this item now, in the order of `MOVES`."""
    mine = access.rectification_actions(user)
    return [a for a, m in MOVES.items() if a in mine and item.status in m.sources]


def _checked_note(action: str, note: str) -> str:
    note = (note or "").strip()
    if "\x00" in note:  # PostgreSQL cannot store NUL in text
        raise Invalid(_("%(what)s中含有无法保存的字符。", what=_note_label(action)))
    if MOVES[action].needs_note and not note:
        raise Invalid(_("请填写%(what)s。", what=_note_label(action)))
    if len(note) > NOTE_MAX:
        raise Invalid(_("说明不能超过 %(n)s 个字。", n=NOTE_MAX))
    return note


def _note_label(action: str) -> str:
    return {"submit": _("整改情况"), "return": _("退回原因"), "close": _("关闭原因"),
            "reopen": _("重新打开的原因")}.get(action, _("备注"))


def _checked_deadline(deadline: date | None, today: date) -> date:
    if deadline is None:
        return today + timedelta(days=default_deadline_days())
    if deadline < today:
        raise Invalid(_("整改期限不能早于今天。"))
    if deadline > today + timedelta(days=DEADLINE_MAX_DAYS):
        raise Invalid(_("整改期限不能超过一年。"))
    return deadline


def default_deadline_days() -> int:
    """Days a company is given by default (RECTIFICATION_DEADLINE_DAYS, documented in docs/rectification.md)."""
    return int(current_app.config.get("RECTIFICATION_DEADLINE_DAYS", 30))


def _note_missed(item: RectificationItem, today: date) -> None:
    if item.status in COMPANY_HELD and item.deadline is not None and item.deadline < today:
        item.deadline_missed = True


def act(item: RectificationItem, action: str, user=None, *, note: str = "", deadline: date | None = None,
        company_id: int | None = None, actor: str = "", when: datetime | None = None) -> RectificationEvent:
    """Make one move on an item and keep it as an event; the caller commits.

    `user` None is the system (a rule, a command) and may make any move; `actor` names who else
    acted ("import", "api:<client>"). :raise Invalid: missing or bad words or deadline.
    :raise Forbidden: the user may not make this move. :raise ActionRefused: not from this state.
    """
    if action not in MOVES:
        raise Invalid(_("没有这项操作。"))
    move = MOVES[action]
    if user is not None and action not in access.rectification_actions(user):
        raise Forbidden(_("您不能对整改事项执行“%(action)s”。", action=ACTION_LABELS[action]))
    if item.status not in move.sources:
        raise ActionRefused(_("该整改事项目前为“%(state)s”，不能“%(action)s”。",
                              state=STATUS_LABELS[item.status], action=ACTION_LABELS[action]))
    note = _checked_note(action, note)
    when = when or now()
    today = when.date()
    before = {"status": item.status, "deadline": item.deadline.isoformat() if item.deadline else None,
              "company_id": item.company_id}
    _note_missed(item, today)
    if action == "assign":
        _assign(item, company_id, _checked_deadline(deadline, today), when)
    elif action == "start":
        item.started_at = item.started_at or when
    elif action == "submit":
        item.submitted_at = when
        item.submissions = (item.submissions or 0) + 1
    elif action == "verify":
        item.verified_at = when
    elif action == "close":
        item.closed_at, item.close_reason = when, note
    elif action == "reopen":
        item.closed_at = item.close_reason = None
    old = item.status
    if move.to is not None:
        item.status = move.to
    _note_missed(item, today)  # sent back, or reopened, after the deadline
    event = RectificationEvent(item=item, at=when, user_id=getattr(user, "id", None),
                               actor=actor or (getattr(user, "username", "") if user else "system"),
                               from_state=old, to_state=item.status, note=note)
    db.session.add(event)
    compound = item.compound or db.session.get(Compound, item.compound_id)
    audit.record(f"rectification.{action}", f"rectification:{item.id}", user=user,
                 detail=f"{compound.name} {item.category}：{STATUS_LABELS[old]} → {STATUS_LABELS[item.status]}"
                        + (f"（{note[:200]}）" if note else ""),
                 before=before, after={"status": item.status,
                                       "deadline": item.deadline.isoformat() if item.deadline else None,
                                       "company_id": item.company_id},
                 where=audit.where_compound(compound))
    return event


def _assign(item: RectificationItem, company_id: int | None, deadline: date, when: datetime) -> None:
    company_id = company_id or item.company_id or item.compound.company_id
    if company_id is None or db.session.get(Company, company_id) is None:
        raise Invalid(_("请选择负责整改的物业服务企业。"))
    item.company_id, item.deadline, item.assigned_at = company_id, deadline, when


def is_overdue(item: RectificationItem, today: date | None = None) -> bool:
    """Past its deadline while the company holds it."""
    return item.overdue_on(today or now().date())


def mark_overdue(today: date | None = None) -> int:
    """Record every item whose deadline passed while the company held it as having missed it (the
    daily sweep; idempotent). Returns how many were newly marked."""
    today = today or now().date()
    result = db.session.execute(
        update(RectificationItem)
        .where(RectificationItem.overdue_on(today), RectificationItem.deadline_missed == False)  # noqa: E712
        .values(deadline_missed=True))
    return result.rowcount or 0
