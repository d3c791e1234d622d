"""Campaigns' life: create, edit settings, open, close, copy to a new round, delete a draft.

States go draft → open → closed and never back. A closed campaign's figures are frozen: its
settings stay as they were and no response or answer of it may be written (see `freeze_guard`,
which refuses such a write at flush time whatever code path attempts it; code that writes such rows
around the ORM calls its check, `refuse_frozen`, itself).
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from flask_babel import gettext as _
from sqlalchemy import bindparam, event, exists, select, true
from sqlalchemy.orm import Session

from ... import access
from ...access import Area
from ...errors import Forbidden, Invalid, Refusal
from ...extensions import db
from ...models import Answer, AnswerChoice, Campaign, HouseholdCode, Response, User
from .. import audit
from ..clock import now
from . import spec as qs
from .standard import create_campaign

STATUS_LABELS = {"draft": "草稿", "open": "进行中", "closed": "已结束"}  # as the audit log records them
TRANSITIONS = {("draft", "open"), ("open", "closed")}
NAME_MAX = 120
YEARS = (2000, 2100)  # a campaign's window lies in these years (keeps date arithmetic finite)
MIN_RESPONSES_MAX = 100_000


class CampaignError(Refusal):
    """A refused campaign operation: the message is for the user, `status` the HTTP code (409 unless said)."""


class CampaignFrozen(CampaignError):
    """A write to a closed campaign's responses, answers or settings."""


def scope_name(campaign: Campaign) -> str:
    """The campaign's scope in words (for the command line; pages ask `access.scope_of(c).name()`)."""
    return access.scope_of(campaign).name()


def status_label(status: str) -> str:
    """A state in the user's language."""
    return {"draft": _("草稿"), "open": _("进行中"), "closed": _("已结束")}.get(status, status)


def default_campaign(clause=true()) -> Campaign | None:
    """The campaign a page or command shows when none is named, among those `clause` admits: the
    newest open one, else the newest closed one (it has figures), a draft only when there is nothing else."""
    return db.session.scalar(select(Campaign).where(clause).order_by(
        (Campaign.status == "open").desc(), (Campaign.status == "closed").desc(), Campaign.id.desc()))


# ---------------------------------------------------------------- settings

@dataclass
class Settings:
    name: str
    scope: Area
    opens_at: datetime
    closes_at: datetime
    min_responses: int
    min_coverage: float  # 0-1


def parse_datetime(raw: str) -> datetime | None:
    raw = (raw or "").strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    return None


def parse_scope(raw: str) -> Area | None:
    try:
        return Area.parse(raw)
    except Invalid:
        return None


def parse_settings(form: Mapping[str, str]) -> tuple[Settings | None, dict[str, str]]:
    """Read the settings form (or CLI options); return the settings, or a message per bad field."""
    errors: dict[str, str] = {}
    name = qs.clean_text(form.get("name"))
    if not name:
        errors["name"] = _("请填写活动名称。")
    elif len(name) > NAME_MAX:
        errors["name"] = _("活动名称不能超过 %(n)s 字。", n=NAME_MAX)
    elif any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
        errors["name"] = _("活动名称含有不可见的控制字符。")
    scope = parse_scope(form.get("scope", ""))
    if scope is None:
        errors["scope"] = _("请选择测评范围（全市、区或街道）。")
    opens_at, closes_at = parse_datetime(form.get("opens_at", "")), parse_datetime(form.get("closes_at", ""))
    opens_at, closes_at = (t if t is not None and YEARS[0] <= t.year <= YEARS[1] else None for t in (opens_at, closes_at))
    if opens_at is None:
        errors["opens_at"] = _("开始时间无效，请按 2026-07-01 09:00 的格式填写。")
    if closes_at is None:
        errors["closes_at"] = _("结束时间无效，请按 2026-07-31 18:00 的格式填写。")
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = _("结束时间必须晚于开始时间。")
    min_responses = _int(form.get("min_responses"))
    if min_responses is None or not 1 <= min_responses <= MIN_RESPONSES_MAX:
        errors["min_responses"] = _("最少有效答卷数应为 1 到 %(max)s 之间的整数。", max=MIN_RESPONSES_MAX)
    min_coverage = _float(str(form.get("min_coverage") or "").strip().rstrip("%％"))
    if min_coverage is None or not 0 <= min_coverage <= 100:
        errors["min_coverage"] = _("最低参评率应为 0 到 100 之间的百分数。")
    if errors:
        return None, errors
    return Settings(name, scope, opens_at, closes_at, min_responses, min_coverage / 100.0), {}


def settings_form(campaign: Campaign) -> dict[str, str]:
    """The campaign's settings as form values (the inverse of parse_settings)."""
    return {"name": campaign.name, "scope": f"{campaign.scope_level}:{campaign.scope_id or ''}",
            "opens_at": campaign.opens_at.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": campaign.closes_at.strftime("%Y-%m-%dT%H:%M"),
            "min_responses": str(campaign.min_responses), "min_coverage": f"{campaign.min_coverage * 100:g}"}


def _int(raw) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def _float(raw) -> float | None:
    try:
        v = float(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _check_scope(user: User | None, area: Area) -> None:
    if not area.exists():
        raise CampaignError(_("没有这个测评范围。"), 400)
    if user is not None and not access.may_manage_area(user, area):
        raise CampaignError(_("该范围不在您的管理范围内：区级管理员只能为本区或本区的街道设立测评活动。"), 403)


def _require_manage(user: User | None, campaign: Campaign) -> None:
    """:raise CampaignError: (403) the user may see the campaign but not change it (`access` decides)."""
    if user is None:
        return
    try:
        access.require_manage_campaign(user, campaign)
    except Forbidden as e:
        raise CampaignError(e.message, e.status) from e


def _audit(user, action: str, campaign: Campaign, detail: str = "", before: dict | None = None,
           after: dict | None = None) -> None:
    audit.record(action, f"campaign:{campaign.id}", user=user, detail=detail, before=before, after=after,
                 where=audit.where_campaign(campaign))


def _settings_of(campaign: Campaign) -> dict:
    """The campaign's settings as the audit log records them."""
    return {"name": campaign.name, "scope": f"{campaign.scope_level}:{campaign.scope_id or ''}",
            "opens_at": campaign.opens_at, "closes_at": campaign.closes_at,
            "min_responses": campaign.min_responses, "min_coverage": campaign.min_coverage,
            "status": campaign.status}


def create(settings: Settings, user: User | None = None, questionnaire_from: Campaign | None = None) -> Campaign:
    """A new draft with the standard questionnaire, or a copy (same keys) of another campaign's; caller commits."""
    _check_scope(user, settings.scope)
    kw = dict(name=settings.name, opens_at=settings.opens_at, closes_at=settings.closes_at, status="draft",
              scope_level=settings.scope.level, scope_id=settings.scope.id,
              min_responses=settings.min_responses, min_coverage=settings.min_coverage)
    if questionnaire_from is None:
        c = create_campaign(**kw)
    else:
        c = Campaign(comment_label=questionnaire_from.comment_label, **kw)
        db.session.add(c)
        db.session.flush()
        qs.apply(c, qs.spec_of(questionnaire_from), user)
    db.session.flush()
    _audit(user, "campaign.create", c, f"{settings.name}；问卷："
           + (f"复制自活动 {questionnaire_from.id}" if questionnaire_from else "标准问卷"), after=_settings_of(c))
    return c


def update_settings(campaign: Campaign, settings: Settings, user: User | None = None) -> list[str]:
    """Change what the campaign's state allows; return what changed (in words). Caller commits."""
    if campaign.status == "closed":
        raise CampaignFrozen(_("活动已结束，数据已冻结，设置不能再修改。"))
    _require_manage(user, campaign)
    changes = []
    was = _settings_of(campaign)
    scope_changed = (settings.scope.level, settings.scope.id) != (campaign.scope_level, campaign.scope_id)
    if campaign.status == "open":
        if scope_changed:
            raise CampaignError(_("活动已开启，不能修改测评范围。"))
        if settings.opens_at != campaign.opens_at and qs.has_responses(campaign):
            raise CampaignError(_("活动已收到答卷，不能修改开始时间。"))
        if settings.closes_at <= now():
            raise CampaignError(_("进行中活动的结束时间必须晚于现在；如要立即结束，请使用“结束活动”。"))
    if scope_changed:
        _check_scope(user, settings.scope)
    for attr, label in (("name", "名称"), ("opens_at", "开始时间"), ("closes_at", "结束时间"),
                        ("min_responses", "最少有效答卷数"), ("min_coverage", "最低参评率")):
        old, new = getattr(campaign, attr), getattr(settings, attr)
        if old != new:
            changes.append(f"{label}：{old} → {new}")
            setattr(campaign, attr, new)
    if scope_changed:
        changes.append(f"范围：{campaign.scope_level}:{campaign.scope_id or ''} → "
                       f"{settings.scope.level}:{settings.scope.id or ''}")
        campaign.scope_level, campaign.scope_id = settings.scope.level, settings.scope.id
    if changes:
        now_is = _settings_of(campaign)
        changed = [k for k in was if was[k] != now_is[k]]
        _audit(user, "campaign.settings", campaign, "；".join(changes),
               before={k: was[k] for k in changed}, after={k: now_is[k] for k in changed})
    return changes


def transition(campaign: Campaign, to: str, user: User | None = None) -> None:
    """Move draft → open or open → closed; refuse anything else with the reason. Caller commits."""
    _require_manage(user, campaign)
    frm = campaign.status
    if (frm, to) not in TRANSITIONS:
        raise CampaignError(_refusal(frm, to))
    if to == "open":
        problems = qs.validate(qs.spec_of(campaign))
        if problems:
            raise CampaignError(_("问卷还不完整，不能开启：%(problems)s",
                                  problems="；".join(str(p) for p in problems[:5])))
        if campaign.closes_at <= now():
            raise CampaignError(_("结束时间（%(at)s）已过，请先修改结束时间再开启。",
                                  at=campaign.closes_at.strftime("%Y-%m-%d %H:%M")))
    campaign.status = to
    _audit(user, f"campaign.{to}", campaign, f"{STATUS_LABELS[frm]} → {STATUS_LABELS[to]}",
           before={"status": frm}, after={"status": to})


def _refusal(frm: str, to: str) -> str:
    if frm == to:
        return _("活动已经是“%(status)s”状态。", status=status_label(frm))
    if frm == "closed":
        return _("活动已结束，数据已冻结，不能重新开启或退回草稿；如需继续测评，请复制为新一轮活动。")
    if frm == "open" and to == "draft":
        return _("进行中的活动不能退回草稿。")
    if frm == "draft" and to == "closed":
        return _("草稿尚未开启，不能直接结束；不需要的草稿可以删除。")
    return _("不能从“%(frm)s”变为“%(to)s”。", frm=status_label(frm), to=status_label(to))


def next_round_defaults(source: Campaign) -> dict[str, str]:
    """Suggested name and window for the round after `source`: same length, starting when it ends (or now)."""
    start = max(source.closes_at, now()).replace(hour=9, minute=0, second=0)
    if start < now():
        start += timedelta(days=1)
    length = source.closes_at - source.opens_at
    return {"name": f"{source.name}（下一轮）"[:NAME_MAX], "opens_at": start.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (start + length).strftime("%Y-%m-%dT%H:%M")}


def copy_round(source: Campaign, name: str, opens_at: datetime, closes_at: datetime,
               user: User | None = None) -> Campaign:
    """A new draft round: same scope, thresholds and questionnaire (same keys, so rounds compare). Caller commits."""
    settings = Settings(name=name, scope=access.scope_of(source), opens_at=opens_at, closes_at=closes_at,
                        min_responses=source.min_responses, min_coverage=source.min_coverage)
    c = create(settings, user, questionnaire_from=source)
    c.copied_from_id = source.id
    _audit(user, "campaign.copy", c, f"复制自活动 {source.id}「{source.name}」", after={"copied_from": source.id})
    return c


def delete_draft(campaign: Campaign, user: User | None = None) -> None:
    """Delete a draft nobody has a code for; caller commits."""
    _require_manage(user, campaign)
    if campaign.status != "draft":
        raise CampaignError(_("只能删除草稿；已开启或已结束的活动会保留。"))
    if db.session.scalar(select(exists().where(HouseholdCode.campaign_id == campaign.id))) or qs.has_responses(campaign):
        raise CampaignError(_("该草稿已发放过住户二维码，不能删除。"))
    if db.session.scalar(select(exists().where(Campaign.copied_from_id == campaign.id))):
        raise CampaignError(_("已有活动复制自该草稿，不能删除。"))
    _audit(user, "campaign.delete", campaign, campaign.name, before=_settings_of(campaign))
    db.session.delete(campaign)


def apply_questionnaire(campaign: Campaign, spec: qs.Spec, user: User | None = None) -> qs.ApplyResult:
    """Change the questionnaire as the freeze allows (see spec.apply); caller commits."""
    _require_manage(user, campaign)
    was = _questionnaire_of(qs.spec_of(campaign))
    result = qs.apply(campaign, spec, user)
    now_is = _questionnaire_of(spec)
    changed = sorted(k for k in was.keys() | now_is.keys() if was.get(k) != now_is.get(k))
    _audit(user, "questionnaire.wording" if result.locked else "questionnaire.edit", campaign,
           f"错别字修正 {result.wording_fixes} 处" if result.locked else f"问卷已修改：{len(changed)} 项变化",
           before={k: was.get(k) for k in changed}, after={k: now_is.get(k) for k in changed})
    return result


def _questionnaire_of(spec: qs.Spec) -> dict:
    """Each dimension and question of a questionnaire, by key, as the audit log records them."""
    out: dict = {}
    for d in spec.dimensions:
        out[f"维度 {d.key}"] = f"{d.name}（权重 {d.weight:g}）"
        for q in d.questions:
            options = "；".join(o.label for o in q.options)
            out[f"题目 {q.key}"] = (f"[{d.key}] {q.kind} {q.text}" + ("（可选不适用）" if q.allow_na else "")
                                    + (f"：{options}" if options else ""))
    return out


# ---------------------------------------------------------------- the freeze, enforced at flush

def _campaign_ids_touched(session: Session) -> set[int]:
    ids: set[int] = set()
    response_ids: set[int] = set()
    answer_ids: set[int] = set()
    dirty = set(session.dirty)  # computed once: `session.dirty` rebuilds its list on every access
    for obj in list(session.new) + list(dirty) + list(session.deleted):
        if isinstance(obj, AnswerChoice):  # a tick of a multiple-choice answer: its answer's response
            answer = obj.__dict__.get("answer")
            resp = answer.__dict__.get("response") if answer is not None else None
            if resp is not None and resp.campaign_id is not None:
                ids.add(resp.campaign_id)
            elif answer is not None and answer.response_id is not None:
                response_ids.add(answer.response_id)
            elif obj.answer_id is not None:
                answer_ids.add(obj.answer_id)
            continue
        if isinstance(obj, Response):
            if obj in dirty and not session.is_modified(obj, include_collections=False):
                continue
            if obj.campaign_id is not None:
                ids.add(obj.campaign_id)
        elif isinstance(obj, Answer):
            if obj in dirty and not session.is_modified(obj, include_collections=False):
                continue
            resp = obj.__dict__.get("response")
            if resp is not None and resp.campaign_id is not None:
                ids.add(resp.campaign_id)
            elif obj.response_id is not None:
                response_ids.add(obj.response_id)
    if response_ids:
        ids |= set(session.scalars(select(Response.campaign_id).where(Response.id.in_(response_ids))))
    if answer_ids:
        ids |= set(session.scalars(select(Response.campaign_id).join(Answer, Answer.response_id == Response.id)
                                   .where(Answer.id.in_(answer_ids))))
    return ids


_campaigns = Campaign.__table__
# The closed ones among campaigns written to: built once, run at every flush that writes answers.
_CLOSED = select(_campaigns.c.name).where(_campaigns.c.id.in_(bindparam("ids", expanding=True)),
                                          _campaigns.c.status == "closed")


def _guard(session: Session, _flush_context, _instances) -> None:
    with session.no_autoflush:
        for obj in session.dirty:
            if isinstance(obj, Campaign):
                hist = db.inspect(obj).attrs.status.history
                was = hist.deleted[0] if hist.deleted else obj.status
                if was == "closed" and session.is_modified(obj, include_collections=False):
                    raise CampaignFrozen(_("活动「%(name)s」已结束，数据已冻结，不能修改。", name=obj.name))
        refuse_frozen(session, _campaign_ids_touched(session))


def refuse_frozen(session: Session, campaign_ids: set[int]) -> None:
    """Refuse writing responses or answers of these campaigns when one of them is closed: the flush
    guard's check, which code writing such rows around the ORM calls itself.

    :raise CampaignFrozen: one of them is closed.
    """
    if campaign_ids:
        closed = session.execute(_CLOSED, {"ids": list(campaign_ids)}).scalars().all()
        if closed:
            raise CampaignFrozen(_("活动「%(name)s」已结束，数据已冻结：答卷不能再保存或修改。", name=closed[0]))


def install_freeze_guard() -> None:
    """Refuse, at flush, any write to a closed campaign, its responses or their answers (idempotent)."""
    if not event.contains(Session, "before_flush", _guard):
        event.listen(Session, "before_flush", _guard)


install_freeze_guard()
