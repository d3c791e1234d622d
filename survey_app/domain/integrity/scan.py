"""The detectors run over a campaign: every response judged again, held or published accordingly.

`scan` loads what the detectors need of every response in a few queries (`load_rows`), runs
them (`detectors.detect`), and for each response whose decision changed moves it between
"published" and "held" (`totals.set_status`, so the maintained totals follow) and keeps its flags
on its `ResponseSignal`. An officer's decision stands (`combine.decide`); a response the
household changed after it was accepted is judged again (`signals.record` clears the acceptance).
It runs from `flask integrity scan`, every few minutes during a campaign; a city of 600,000
responses takes well under a minute (bench/integrity_scan.py).
"""
from __future__ import annotations

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ...errors import Refusal
from ...extensions import db
from ...models import Answer, Campaign, Response
from ...models.integrity import ResponseChange, ResponseSignal
from ..clock import now
from ..responses import totals
from ..responses.survey import dimension_specs
from .combine import decide
from .detectors import Thresholds, detect
from .rows import Change, Row


@dataclass
class ScanResult:
    responses: int = 0  # judged
    held: int = 0  # held after the scan
    newly_held: int = 0
    released: int = 0  # held before, published now
    by_kind: dict[str, int] = field(default_factory=dict)  # responses flagged per detector


def _texts(campaign_id: int) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    q = (select(Answer.response_id, Answer.text).join(Response, Response.id == Answer.response_id)
         .where(Response.campaign_id == campaign_id, Answer.text.is_not(None)))
    for response_id, text in db.session.connection().execute(q):
        out[response_id].append(text)
    return out


def _changes(campaign_id: int) -> dict[int, list[Change]]:
    out: dict[int, list[Change]] = defaultdict(list)
    q = (select(ResponseChange.response_id, ResponseChange.at, ResponseChange.device_hash,
                ResponseChange.network_hash, ResponseChange.new_device, ResponseChange.score_before,
                ResponseChange.score_after)
         .where(ResponseChange.campaign_id == campaign_id).order_by(ResponseChange.at, ResponseChange.id))
    for rid, at, device, network, new, before, after in db.session.connection().execute(q):
        out[rid].append(Change(at, _b(device), _b(network), bool(new), before, after))
    return out


def _b(value) -> bytes | None:
    return bytes(value) if value is not None else None


def load_rows(campaign_id: int) -> tuple[list[Row], dict[int, tuple[str, list | None]]]:
    """Every response of the campaign that is not rejected, as the detectors see it; and each
    one's (status, stored flags) to compare the scan's findings with. Plain rows (no ORM objects):
    a city has 600,000."""
    db.session.flush()  # the plain rows are read past the session: what it holds is written first
    texts, changes = _texts(campaign_id), _changes(campaign_id)
    S = ResponseSignal
    q = (select(Response.id, Response.household_id, Response.compound_id, Response.company_id, Response.mode,
                Response.assisted_by_id, Response.submitted_at, Response.score, Response.overall, Response.comment,
                Response.status, S.opened_at, S.submitted_at, S.duration, S.device_hash, S.network_hash,
                S.agent_hash, S.uniform, S.decision, S.flags)
         .outerjoin(S, S.response_id == Response.id)
         .where(Response.campaign_id == campaign_id, Response.status != "rejected"))
    rows, state = [], {}
    for (rid, hid, kid, co, mode, worker, submitted, score, overall, comment, status, opened, first, duration,
         device, network, agent, uniform, decision, flags) in db.session.connection().execute(q):
        said = [t for t in [comment, *texts.get(rid, ())] if t]
        rows.append(Row(rid, hid, kid, co, mode, worker, opened, first or submitted, duration, _b(device),
                        _b(network), _b(agent), score, overall, bool(uniform), "\n".join(said) or None,
                        tuple(changes.get(rid, ())), decision))
        state[rid] = (status, flags)
    return rows, state


class ScanClosed(Refusal):
    """A closed campaign's figures are frozen: its responses are no longer judged again."""


def scan(campaign: Campaign, th: Thresholds | None = None, rebuild_totals: bool = False) -> ScanResult:
    """Judge every response of the campaign again; hold or publish those whose decision changed.
    With `rebuild_totals`, the statuses are set in bulk and the maintained totals rebuilt once
    (the demo's story, which writes its answers past the totals) instead of moved per response.
    The caller commits.

    :raise ScanClosed: the campaign is closed (its figures are frozen, held responses stay held).
    """
    if campaign.status == "closed":
        raise ScanClosed(_("活动「%(name)s」已结束，数据已冻结，不再重新检查答卷。", name=campaign.name))
    th = th or Thresholds.from_config(current_app.config)
    with _gc_paused():
        return _scan(campaign, th, rebuild_totals)


@contextmanager
def _gc_paused():
    """No cyclic garbage collection while a scan makes its million short-lived objects (none of
    them cyclic): the collector would walk them again and again, a third of the scan's time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _scan(campaign: Campaign, th: Thresholds, rebuild_totals: bool = False) -> ScanResult:
    rows, state = load_rows(campaign.id)
    found = detect(rows, th)
    result = ScanResult(responses=len(rows))
    moves: dict[int, str] = {}
    flag_updates: dict[int, list] = {}
    for row in rows:
        flags = found.get(row.response_id, [])
        for kind in {f.kind for f in flags}:
            result.by_kind[kind] = result.by_kind.get(kind, 0) + 1
        status, stored = state[row.response_id]
        wanted = decide(flags, row.decision)
        if wanted == "held":
            result.held += 1
        if wanted != status and wanted in ("held", "published"):
            moves[row.response_id] = wanted
            result.newly_held += wanted == "held"
            result.released += wanted == "published"
        as_json = [f.to_dict() for f in flags] or None
        if as_json != stored:
            flag_updates[row.response_id] = as_json
    _store_flags(campaign.id, flag_updates, {r.response_id: r.submitted_at for r in rows})
    if rebuild_totals:
        _set_statuses(moves)
        totals.rebuild(campaign.id)
    else:
        _move(campaign, moves)
    return result


def _store_flags(campaign_id: int, updates: dict[int, list | None], submitted: dict) -> None:
    """Keep each response's new flags on its signal row (made for a response given before signals)."""
    if not updates:
        return
    when = now()
    ids = list(updates)
    have = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        have.update({s.response_id: s for s in db.session.scalars(
            select(ResponseSignal).where(ResponseSignal.response_id.in_(chunk)))})
    for n, (rid, flags) in enumerate(updates.items(), 1):
        signal = have.get(rid)
        if signal is None:
            db.session.add(ResponseSignal(response_id=rid, campaign_id=campaign_id, submitted_at=submitted[rid],
                                          uniform=False, flags=flags, scanned_at=when))
        else:
            signal.flags, signal.scanned_at = flags, when
        if n % 900 == 0:
            db.session.flush()  # small flushes: the flush guards look at every pending object


def _set_statuses(moves: dict[int, str]) -> None:
    """Hold or publish these responses, leaving the totals to a rebuild."""
    db.session.flush()
    for status in sorted(set(moves.values())):
        ids = [rid for rid, wanted in moves.items() if wanted == status]
        for start in range(0, len(ids), 900):
            db.session.execute(update(Response).where(Response.id.in_(ids[start:start + 900])).values(status=status))


def _move(campaign: Campaign, moves: dict[int, str]) -> None:
    """Hold or publish these responses, their contribution to the totals moving with them."""
    if not moves:
        return
    dims = dimension_specs(campaign)
    ids = list(moves)
    db.session.flush()
    for start in range(0, len(ids), 900):
        with db.session.no_autoflush:  # the totals' upserts need no flush of the statuses before them
            for resp in db.session.scalars(select(Response).where(Response.id.in_(ids[start:start + 900]))
                                           .options(selectinload(Response.answers))):
                totals.set_status(resp, moves[resp.id], dims)
        db.session.flush()
