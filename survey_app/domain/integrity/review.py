"""The review queue: held responses grouped by cluster, shown by their signals only, and an
officer's decision on them (accept or reject), each decision audited.

What a reviewer sees of a held response: when it was submitted, how long it took, its device,
network and browser as short opaque tags (the first hex digits of the campaign-keyed hash: "same
device" shows, nobody's device does), self-answered or assisted (and the grid worker who helped:
staff, not residents), its 0-100 index and overall answer, and its flags' reasons. Never the
household (no building, unit, room, household id or code) and never its comment or free text.

A response with several flags is listed under its strongest cluster: a strong flag before a weak
one, then in the order of `KIND_ORDER`; its other flags' reasons are shown on its row. A held
response without flags (held by hand) is listed under "其他".

Compounds with fewer than `privacy.MIN_GROUP` responses are still listed (reviewing signals is not
publishing a figure), but their responses' overall answer is withheld: only the index is shown.

A decision is all or none: every response named must be held, in the campaign and within the
officer's jurisdiction. Accepting publishes (the decision stands at later scans until the household
changes its answers); rejecting keeps the response as "rejected" (never counted) and revokes the
household's live code, so a copy held by someone else stops working; staff re-issue one from the
visits and household pages (the household is pending on the visits list again).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ... import access
from ...access import Area
from ...database import parse_id
from ...errors import Forbidden, Invalid, Refusal
from ...extensions import db
from ...models import Campaign, Company, Compound, Household, Response, User
from ...models.integrity import ResponseSignal
from .. import audit
from ..clock import now
from ..paging import clamp
from ..responses import codes, totals
from ..responses.survey import dimension_specs
from ..stats.privacy import MIN_GROUP
from .combine import HELD, PUBLISHED, REJECTED, Flag, reason

PER_PAGE = 20  # clusters per page
DECIDE_MAX = 2000  # responses decided in one go
NOTE_MAX = 200  # characters of a decision's note
TAG_HEX = 6  # hex digits of a hash shown as a tag
OTHER = "other"  # the kind of a held response without flags
# Which of a response's flags names its cluster: the first strong one in this order, else the first.
KIND_ORDER = ("device", "sequence", "worker", "copied", "changed", "speed", "burst", "network", "uniform")
KIND_LABELS = {
    "device": _l("同一设备"), "sequence": _l("同一网络连续作答"), "worker": _l("网格员代填异常"),
    "copied": _l("意见雷同"), "changed": _l("换设备修改答卷"), "speed": _l("作答过快"),
    "burst": _l("集中作答"), "network": _l("同一网络"), "uniform": _l("全选同一项"), OTHER: _l("其他"),
}
KINDS = (*KIND_ORDER, OTHER)
DECISIONS = {"accept": "accepted", "reject": "rejected"}  # form value -> ResponseSignal.decision
MODE_LABELS = {"self": _l("本人作答"), "assisted": _l("网格员协助")}
ROWS_SHOWN = 20  # responses of a cluster listed one by one; a worker's hundreds are decided together


class ReviewRefused(Refusal):
    """A decision the queue cannot take: responses unknown, outside the jurisdiction or not held."""

    status = 409


def kind_label(kind: str) -> str:
    """A cluster kind in words ("同一设备")."""
    return str(KIND_LABELS.get(kind, KIND_LABELS[OTHER]))


def tag(value) -> str:
    """A short opaque tag of a hash (bytes) or a cluster key (text): equal inputs, equal tags."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = hashlib.sha256(value.encode()).digest()
    return bytes(value).hex()[:TAG_HEX]


def _rank(flag: Flag) -> tuple:
    order = KIND_ORDER.index(flag.kind) if flag.kind in KIND_ORDER else len(KIND_ORDER)
    return (not flag.strong, order)


def strongest(flags: list[Flag]) -> Flag | None:
    """The flag whose cluster a response is listed under (None: no flags)."""
    return min(flags, key=_rank) if flags else None


def _flags(data) -> list[Flag]:
    return [Flag.from_dict(d) for d in (data or []) if isinstance(d, dict) and d.get("kind")]


def _cluster_key(flag: Flag | None) -> str:
    if flag is None:
        return OTHER
    return flag.cluster or f"{flag.kind}:"


@dataclass(frozen=True)
class Filters:
    """What the queue is narrowed to besides the area: a cluster kind (unknown kinds are ignored)."""

    kind: str = ""

    @classmethod
    def parse(cls, args) -> "Filters":
        kind = args.get("kind", "")
        return cls(kind if kind in KINDS else "")

    def args(self) -> dict:
        """The filters as query-string arguments."""
        return {"kind": self.kind} if self.kind else {}


@dataclass
class Item:
    """One held response as a reviewer sees it: signals, never the household."""

    id: int
    submitted_at: datetime
    duration: float | None  # seconds from opening to first submission
    device: str  # short tags ("" when unknown)
    network: str
    agent: str
    mode: str
    worker: str | None  # the grid worker's display name for an assisted answer
    score: float | None
    overall: int | None  # None also when withheld (see `small`)
    small: bool  # its compound has fewer than MIN_GROUP responses: the overall answer is withheld
    reasons: list[str]  # every flag's reason, the cluster's first

    @property
    def mode_label(self) -> str:
        return str(MODE_LABELS.get(self.mode, self.mode))


@dataclass
class Cluster:
    """Held responses one finding is about (same device, same burst, same worker...)."""

    tag: str  # a short opaque tag of the cluster (its key may hold ids; it is never shown)
    kind: str
    strong: bool
    reason: str
    items: list[Item] = field(default_factory=list)
    compounds: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None

    @property
    def label(self) -> str:
        return kind_label(self.kind)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def shown(self) -> list[Item]:
        """The responses listed one by one (the first ROWS_SHOWN); the rest are decided with them."""
        return self.items[:ROWS_SHOWN]

    @property
    def unlisted(self) -> list[Item]:
        return self.items[ROWS_SHOWN:]


@dataclass
class Queue:
    clusters: list[Cluster]  # this page's
    total: int  # clusters under the filters
    responses: int  # held responses under the filters
    number: int
    pages: int
    counts: dict = field(default_factory=dict)  # kind -> (clusters, responses), whatever the kind filter

    @property
    def held(self) -> int:
        """Held responses of every kind in the area."""
        return sum(n for _clusters, n in self.counts.values())


@dataclass
class _Row:
    id: int
    compound_id: int
    company_id: int | None
    worker_id: int | None
    item: Item
    flags: list[Flag]


def _held_rows(campaign: Campaign, area, households=None) -> list[_Row]:
    S = ResponseSignal
    where = [Response.campaign_id == campaign.id, Response.status == HELD,
             area.compound_clause() if isinstance(area, Area) else area]
    if households is not None:
        where.append(Response.household_id.in_(select(Household.id).where(households)))
    q = (select(Response.id, Response.compound_id, Response.company_id, Response.mode, Response.assisted_by_id,
                Response.submitted_at, Response.score, Response.overall, S.submitted_at, S.duration,
                S.device_hash, S.network_hash, S.agent_hash, S.flags)
         .join(Compound, Compound.id == Response.compound_id)
         .outerjoin(S, S.response_id == Response.id)
         .where(*where).order_by(Response.submitted_at, Response.id))
    rows = []
    for (rid, kid, co, mode, worker, submitted, score, overall, first, duration, device, network, agent,
         flags) in db.session.execute(q):
        parsed = sorted(_flags(flags), key=_rank)
        item = Item(rid, first or submitted, duration, tag(device), tag(network), tag(agent), mode, None, score,
                    overall, False, [reason(f) for f in parsed])
        rows.append(_Row(rid, kid, co, worker if mode == "assisted" else None, item, parsed))
    return rows


def _names(model, ids) -> dict[int, str]:
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _sizes(campaign: Campaign, compound_ids) -> dict[int, int]:
    """Responses (not rejected) per compound in the campaign."""
    ids = list(set(compound_ids))
    if not ids:
        return {}
    return dict(db.session.execute(
        select(Response.compound_id, func.count(Response.id))
        .where(Response.campaign_id == campaign.id, Response.compound_id.in_(ids), Response.status != REJECTED)
        .group_by(Response.compound_id)).all())


def queue(campaign: Campaign, area, filters: Filters, number: int = 1, per_page: int = PER_PAGE,
          households=None) -> Queue:
    """One page of the clusters of held responses in the area (an `Area`, or a condition on Compound
    such as the area picker's; already checked against the user's jurisdiction), and of the
    households matching `households` (a condition on Household, None for all): strong clusters
    first, then the largest, then the earliest; with how many clusters and responses each kind has."""
    groups: dict[str, list[_Row]] = {}
    for row in _held_rows(campaign, area, households):
        groups.setdefault(_cluster_key(strongest(row.flags)), []).append(row)
    counts: dict[str, tuple[int, int]] = {}
    listed = []
    for key, rows in groups.items():
        head = strongest(rows[0].flags)
        kind = head.kind if head is not None else OTHER
        n_clusters, n_responses = counts.get(kind, (0, 0))
        counts[kind] = (n_clusters + 1, n_responses + len(rows))
        if not filters.kind or filters.kind == kind:
            listed.append((key, head, kind, rows))
    listed.sort(key=lambda c: (not (c[1] is not None and c[1].strong), -len(c[3]), c[3][0].item.submitted_at))
    total = len(listed)
    number, pages = clamp(total, number, per_page)
    shown = listed[(number - 1) * per_page:number * per_page]
    rows = [r for c in shown for r in c[3]]
    compounds = _names(Compound, [r.compound_id for r in rows])
    companies = _names(Company, [r.company_id for r in rows])
    workers = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_({r.worker_id for r in rows if r.worker_id is not None}))).all()) if rows else {}
    sizes = _sizes(campaign, [r.compound_id for r in rows])
    clusters = []
    for key, head, kind, members in shown:
        cluster = Cluster(tag(key), kind, bool(head and head.strong), reason(head) if head else _("未标记原因"),
                          first=min(r.item.submitted_at for r in members),
                          last=max(r.item.submitted_at for r in members))
        for r in members:
            r.item.worker = workers.get(r.worker_id) if r.worker_id is not None else None
            if sizes.get(r.compound_id, 0) < MIN_GROUP:
                r.item.small, r.item.overall = True, None
            cluster.items.append(r.item)
        cluster.compounds = sorted({compounds.get(r.compound_id, "") for r in members})
        cluster.companies = sorted({companies[r.company_id] for r in members if r.company_id in companies})
        clusters.append(cluster)
    return Queue(clusters, total, sum(len(c[3]) for c in listed), number, pages,
                 {k: counts[k] for k in KINDS if k in counts})


def parse_ids(raw: list[str]) -> list[int]:
    """Response ids as a form sends them (each read by the shared parser), without repeats.

    :raise Invalid: none given, one malformed, or too many at once.
    """
    if not raw:
        raise Invalid(_("请先勾选要复核的答卷。"))
    if len(raw) > DECIDE_MAX:
        raise Invalid(_("一次最多复核 %(n)s 份答卷。", n=DECIDE_MAX))
    ids = [parse_id(r) for r in raw]
    if None in ids:
        raise Invalid(_("答卷编号无效。"))
    return sorted(set(ids))


def _checked_note(note: str) -> str:
    note = (note or "").strip()
    if "\x00" in note:  # PostgreSQL cannot store NUL in text
        raise Invalid(_("说明中含有无法保存的字符。"))
    if len(note) > NOTE_MAX:
        raise Invalid(_("说明不能超过 %(n)s 个字。", n=NOTE_MAX))
    return note


@dataclass
class Decided:
    decision: str  # accepted | rejected
    count: int
    revoked: int = 0  # household codes revoked (on rejection)


def _clusters_named(signals: dict[int, ResponseSignal], ids: list[int]) -> str:
    """The decided responses' clusters in words, e.g. "同一设备（3fa2c1）×4"."""
    found: dict[tuple[str, str], int] = {}
    for rid in ids:
        signal = signals.get(rid)
        head = strongest(_flags(signal.flags if signal else None))
        key = (head.kind if head else OTHER, tag(_cluster_key(head)))
        found[key] = found.get(key, 0) + 1
    parts = [f"{kind_label(k)}（{t}）×{n}" for (k, t), n in sorted(found.items(), key=lambda kv: -kv[1])]
    return "、".join(parts[:3]) + (f" 等 {len(parts)} 组" if len(parts) > 3 else "")


def decide(user: User, campaign: Campaign, response_ids: list[int], decision: str, note: str = "") -> Decided:
    """Accept (publish) or reject the held responses, all or none; one audit event. The caller commits.

    `decision` is "accept" or "reject". :raise Forbidden: the user may not review responses.
    :raise Invalid: no ids, a bad decision or note. :raise ReviewRefused: a response unknown or
    outside the user's jurisdiction (404), or no longer held (409); nothing is changed.
    """
    if not access.may_review_responses(user):
        raise Forbidden(_("仅限街道及以上工作人员复核答卷。"))
    if decision not in DECISIONS:
        raise Invalid(_("请选择采纳或驳回。"))
    if not response_ids:
        raise Invalid(_("请先勾选要复核的答卷。"))
    note = _checked_note(note)
    ids = sorted(set(response_ids))
    responses = db.session.scalars(
        select(Response).join(Compound, Compound.id == Response.compound_id)
        .where(Response.id.in_(ids), Response.campaign_id == campaign.id, access.compound_clause(user))
        .options(selectinload(Response.answers)).order_by(Response.id)).all()
    if len(responses) != len(ids):
        raise ReviewRefused(_("有 %(n)s 份答卷不存在或不在您的辖区内，均未处理。", n=len(ids) - len(responses)), 404)
    not_held = [r for r in responses if r.status != HELD]
    if not_held:
        raise ReviewRefused(_("有 %(n)s 份答卷已不是“待复核”状态（可能已被他人处理），均未处理。", n=len(not_held)))
    when = now()
    outcome = DECISIONS[decision]
    status = PUBLISHED if outcome == "accepted" else REJECTED
    signals = {s.response_id: s for s in db.session.scalars(
        select(ResponseSignal).where(ResponseSignal.response_id.in_(ids)))}
    named = _clusters_named(signals, ids)
    dims = dimension_specs(campaign)
    for resp in responses:
        totals.set_status(resp, status, dims)
        signal = signals.get(resp.id)
        if signal is None:  # a response given before signals were kept
            signal = ResponseSignal(response_id=resp.id, campaign_id=campaign.id, submitted_at=resp.submitted_at,
                                    uniform=False)
            db.session.add(signal)
        signal.decision, signal.decided_by_id, signal.decided_at = outcome, user.id, when
    revoked = (codes.revoke_codes(campaign.id, [r.household_id for r in responses], "review rejected", when)
               if status == REJECTED else 0)
    verb = "采纳" if outcome == "accepted" else "驳回"
    detail = f"活动 {campaign.id}：{verb} {len(ids)} 份待复核答卷；{named}" + (f"；作废二维码 {revoked} 个" if revoked else "") \
        + (f"；说明：{note}" if note else "")
    after = {"status": status, "responses": len(ids), "ids": ids}
    if revoked:
        after["revoked_codes"] = revoked
    audit.record(f"response.{outcome}", f"campaign:{campaign.id}", user=user, detail=detail,
                 before={"status": HELD, "responses": len(ids)}, after=after,
                 where=audit.where_compounds({r.compound_id for r in responses}))
    return Decided(outcome, len(ids), revoked)
