"""Reading the audit trail: the events of an admin's jurisdiction, filtered and paged, what each
changed in readable form, and security events counted over time.

Who may read it, and which events are theirs, is `access.may_see_audit` / `access.audit_clause`;
every query here takes that clause. Recording events is `domain.audit`'s.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Mapping

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from ..errors import Invalid
from ..extensions import db
from ..models import AuditEvent
from .audit import API, SECURITY, STAFF
from .clock import now
from .paging import clamp

PER_PAGE = 50
EXPORT_MAX = 100_000  # rows of one export; narrow the filter for more
TEXT_MAX = 100  # characters of a search term
DAYS, HOURS = 30, 48  # the security page's two windows
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # as <input type="date"> sends it

CATEGORIES = {STAFF: _l("工作人员操作"), SECURITY: _l("安全事件"), API: _l("接口调用")}

# What each action is, in words (an action not listed is shown by its code).
ACTION_LABELS = {
    "campaign.create": _l("创建测评活动"), "campaign.settings": _l("修改活动设置"),
    "response.accepted": _l("采纳待复核答卷"), "response.rejected": _l("驳回待复核答卷"),
    "campaign.open": _l("开启测评活动"), "campaign.closed": _l("结束测评活动"),
    "campaign.copy": _l("复制为新一轮活动"), "campaign.delete": _l("删除活动草稿"),
    "questionnaire.edit": _l("修改问卷"), "questionnaire.wording": _l("修正问卷措辞"),
    "codes.issued": _l("发放住户二维码"), "codes.reissued": _l("重新发放住户二维码（旧码作废）"),
    "codes.demo": _l("发放演示二维码"), "codes.printed": _l("打印或导出二维码"),
    "roster.import": _l("导入住户花名册"),
    "rectification.generate": _l("生成整改事项"), "rectification.step": _l("更新整改事项状态"),
    "rectification.assign": _l("交办整改事项"), "rectification.start": _l("开始整改"),
    "rectification.submit": _l("提交整改核验"), "rectification.verify": _l("核验整改通过"),
    "rectification.return": _l("退回整改事项"), "rectification.close": _l("关闭整改事项（不整改）"),
    "rectification.reopen": _l("重新打开整改事项"), "rectification.note": _l("整改事项备注"),
    "rectification.inspection": _l("登记巡查问题"), "rectification.import": _l("导入整改清单 Excel"),
    "response.assisted": _l("协助住户填写答卷"),
    "export.ranking": _l("下载排名 Excel"), "export.rectification": _l("下载整改清单 Excel"),
    "export.company_report": _l("下载企业测评结果 Excel"), "export.questionnaire": _l("下载问卷 Excel"),
    "export.pending": _l("下载未参评住户 Excel"), "export.audit": _l("下载审计日志 Excel"),
    "export.comments": _l("下载居民意见 Excel"), "export.benchmarks": _l("下载标杆企业候选 Excel"),
    "user.login": _l("登录"), "user.logout": _l("退出登录"), "user.created": _l("创建账户"),
    "user.updated": _l("修改账户"), "user.disabled": _l("停用账户"), "user.enabled": _l("启用账户"),
    "user.password_reset": _l("重设密码"), "user.password_changed": _l("修改本人密码"),
    "password.wrong": _l("修改密码时输错当前密码"),
    "login.failed": _l("登录失败"), "code.unknown": _l("无效的住户二维码"), "code.revoked": _l("已作废的住户二维码"),
    "rate_limited": _l("请求过于频繁被限制"), "refused": _l("越权访问被拒绝"),
    "api.request": _l("接口请求"), "api_client.created": _l("创建接口客户端"), "api_client.revoked": _l("吊销接口客户端"),
}

# Field names in before/after, in words (a field not listed is shown as it is stored).
FIELD_LABELS = {
    "name": _l("名称"), "scope": _l("范围"), "opens_at": _l("开始时间"), "closes_at": _l("结束时间"),
    "min_responses": _l("最少有效答卷数"), "min_coverage": _l("最低参评率"), "status": _l("状态"),
    "copied_from": _l("复制自活动"), "live_codes": _l("作废的有效码"), "issued": _l("新发码数"),
    "households": _l("户数"), "reissued": _l("旧码作废重发户数"), "rows": _l("行数"), "added": _l("新增"),
    "changed": _l("变更"), "unchanged": _l("未变户数"), "created": _l("新生成"), "existing": _l("已存在"),
    "campaign": _l("测评活动"), "mode": _l("方式"), "role": _l("角色"), "disabled": _l("停用"),
    "display_name": _l("姓名"), "username": _l("用户名"), "district_id": _l("区"), "street_id": _l("街道"),
    "company_id": _l("物业服务企业"), "grids": _l("网格"),
    "can_write": _l("可写入"), "rate_limit": _l("频率限制"), "token_hint": _l("令牌开头"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def category_label(category: str) -> str:
    label = CATEGORIES.get(category)
    return str(label) if label is not None else category


# ---------------------------------------------------------------- filters

@dataclass
class Filters:
    """What the list shows: a date range (inclusive), a category, an action, an actor, a search text."""

    start: date | None = None
    end: date | None = None
    category: str = ""
    action: str = ""
    actor: str = ""
    q: str = ""

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Filters:
        """Read the filter form (a query string).

        :raise Invalid: a date that is not a date, a range that ends before it starts, an unknown category.
        """
        f = cls(start=_date(args.get("start"), _("开始日期")), end=_date(args.get("end"), _("结束日期")),
                category=_text(args.get("category"), 16), action=_text(args.get("action"), 40),
                actor=_text(args.get("actor"), 64), q=_text(args.get("q"), TEXT_MAX))
        if f.start and f.end and f.end < f.start:
            raise Invalid(_("结束日期不能早于开始日期。"))
        if f.category and f.category not in CATEGORIES:
            raise Invalid(_("类别参数无效。"))
        return f

    def args(self) -> dict[str, str]:
        """The filters as query-string values (for links to other pages and the export)."""
        out = {"start": self.start.isoformat() if self.start else "", "end": self.end.isoformat() if self.end else "",
               "category": self.category, "action": self.action, "actor": self.actor, "q": self.q}
        return {k: v for k, v in out.items() if v}

    def clause(self):
        conds = []
        if self.start:
            conds.append(AuditEvent.at >= datetime.combine(self.start, datetime.min.time()))
        if self.end:
            conds.append(AuditEvent.at < datetime.combine(self.end + timedelta(days=1), datetime.min.time()))
        if self.category:
            conds.append(AuditEvent.category == self.category)
        if self.action:
            conds.append(AuditEvent.action == self.action)
        if self.actor:
            conds.append(AuditEvent.actor.icontains(self.actor, autoescape=True))
        if self.q:
            conds.append(AuditEvent.target.icontains(self.q, autoescape=True)
                         | AuditEvent.detail.icontains(self.q, autoescape=True))
        return conds


def _text(raw, limit: int) -> str:
    text = "".join(ch for ch in str(raw or "") if ch.isprintable()).strip()
    return text[:limit]


def _date(raw, name: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw) if DATE_RE.fullmatch(raw) else None
    except ValueError:
        value = None
    if value is None or not 2000 <= value.year <= 2100:
        raise Invalid(_("%(name)s无效，请按 2026-07-01 的格式填写。", name=name))
    return value


# ---------------------------------------------------------------- the list

@dataclass
class Page:
    events: list[AuditEvent]
    total: int
    number: int
    pages: int


def _select(scope, filters: Filters):
    return select(AuditEvent).where(scope, *filters.clause())


def page(scope, filters: Filters, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of the events `scope` (an `access.audit_clause`) admits, newest first."""
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(scope, *filters.clause())) or 0
    number, pages = clamp(total, number, per_page)
    events = db.session.scalars(_select(scope, filters).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                .offset((number - 1) * per_page).limit(per_page)).all()
    return Page(events, total, number, pages)


def all_events(scope, filters: Filters, limit: int = EXPORT_MAX) -> list[AuditEvent]:
    """Every event of the filtered list, newest first (at most `limit`)."""
    return db.session.scalars(_select(scope, filters).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                              .limit(limit)).all()


def actions(scope) -> list[tuple[str, str]]:
    """(code, label) of the actions that occur among the events `scope` admits, for the filter."""
    codes = db.session.scalars(select(AuditEvent.action).where(scope).distinct().order_by(AuditEvent.action)).all()
    return [(c, action_label(c)) for c in codes]


def _loads(text: str | None):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass
class Change:
    field: str
    before: str
    after: str


def changes(event: AuditEvent) -> list[Change]:
    """What the event changed, field by field, readable (empty when it recorded no before/after)."""
    before, after = _loads(event.before), _loads(event.after)
    if before is None and after is None:
        return []
    if not isinstance(before, (dict, type(None))) or not isinstance(after, (dict, type(None))):
        return [Change("", _shown(before), _shown(after))]
    before, after = before or {}, after or {}
    keys = list(before) + [k for k in after if k not in before]
    return [Change(str(FIELD_LABELS.get(k, k)), _shown(before.get(k)) if k in before else "",
                   _shown(after.get(k)) if k in after else "") for k in keys]


# ---------------------------------------------------------------- security events over time

@dataclass
class Series:
    """Counts of security events per action over consecutive buckets (days or hours)."""

    buckets: list[datetime]
    counts: dict[str, list[int]] = field(default_factory=dict)  # action → a count per bucket

    @property
    def totals(self) -> list[int]:
        return [sum(c[i] for c in self.counts.values()) for i in range(len(self.buckets))]

    @property
    def peak(self) -> int:
        return max(self.totals, default=0)

    def total(self, action: str | None = None) -> int:
        return sum(self.counts.get(action, [])) if action else sum(self.totals)


def _bucket_expr(unit: str):
    """SQL text of the day or hour an event falls in, as 'YYYY-MM-DD' or 'YYYY-MM-DD HH'."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(AuditEvent.at, "YYYY-MM-DD" if unit == "day" else "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d" if unit == "day" else "%Y-%m-%d %H", AuditEvent.at)


def security_series(scope, unit: str = "day", when: datetime | None = None) -> Series:
    """Security events per action per day for the last DAYS days (today included), or per hour for
    the last HOURS hours (this hour included), among the events `scope` admits."""
    when = when or now()
    if unit == "day":
        last = when.replace(hour=0, minute=0, second=0, microsecond=0)
        buckets = [last - timedelta(days=i) for i in range(DAYS - 1, -1, -1)]
        fmt = "%Y-%m-%d"
    else:
        last = when.replace(minute=0, second=0, microsecond=0)
        buckets = [last - timedelta(hours=i) for i in range(HOURS - 1, -1, -1)]
        fmt = "%Y-%m-%d %H"
    index = {b.strftime(fmt): i for i, b in enumerate(buckets)}
    bucket = _bucket_expr(unit)
    rows = db.session.execute(
        select(bucket, AuditEvent.action, func.count(AuditEvent.id))
        .where(scope, AuditEvent.category == SECURITY, AuditEvent.at >= buckets[0],
               AuditEvent.at < (last + (timedelta(days=1) if unit == "day" else timedelta(hours=1))))
        .group_by(bucket, AuditEvent.action)).all()
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(buckets))
    for key, action, n in rows:
        if key in index:
            counts[action][index[key]] += n
    return Series(buckets, dict(sorted(counts.items())))
