"""The demo's rectification loop: the rules run on the demo answers, then items are moved along
the loop as a street office and its companies would have over the past weeks (handed over, started,
submitted, verified, sent back, closed, some late), so that every page of the loop has something
to show. Deterministic for a seed."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Campaign, RectificationItem
from ..clock import now
from .rules import generate
from .workflow import act

NOTES = {
    "start": ["已安排专人负责，正在整改", "已召开整改会议，制定方案"],
    "submit": ["已增加保洁频次，楼道杂物已清理", "已维修损坏设施，并张贴维修公示", "已调整门岗值守时间，加强巡逻",
               "已补种绿植并修剪树木"],
    "return": ["现场核查仍有堆放杂物，请继续整改", "住户反映问题依旧，请补充整改材料"],
    "close": ["该问题属于市政管网范围，已转相关部门处理"],
}


def walk(campaign: Campaign, seed: int = 20261123) -> int:
    """Raise the demo's items and move them along; returns how many items there are."""
    rng = random.Random(seed)  # nosec B311  # reproducible demo data, not a secret
    # One flush for the whole walk: at city scale (9,000 items) a flush before each query took
    # most of its time on PostgreSQL.
    with db.session.no_autoflush:
        generate(campaign)
    db.session.flush()
    items = db.session.scalars(select(RectificationItem).where(RectificationItem.campaign_id == campaign.id)
                               .order_by(RectificationItem.id).options(selectinload(RectificationItem.events))).all()
    today = now()
    with db.session.no_autoflush:
        for item in items:
            _move_along(item, rng, today)
    return len(items)


def _move_along(item: RectificationItem, rng: random.Random, today: datetime) -> None:
    """Move one item along the loop as far as a roll of the dice says."""
    roll = rng.random()
    if roll < 0.2:
        return  # still waiting to be handed over
    assigned = today - timedelta(days=rng.randint(5, 45))
    item.created_at = item.events[0].at = assigned - timedelta(days=rng.randint(1, 3))  # raised before
    deadline = (assigned + timedelta(days=30)).date()
    act(item, "assign", actor="demo", deadline=deadline, when=assigned)
    if roll < 0.3:
        return  # handed over, nothing done yet (some of these are late by now)
    act(item, "start", actor="demo", note=rng.choice(NOTES["start"]),
        when=assigned + timedelta(days=rng.randint(1, 10)))
    if roll < 0.45:
        return
    if roll > 0.97:
        act(item, "close", actor="demo", note=NOTES["close"][0], when=assigned + timedelta(days=3))
        return
    submitted = assigned + timedelta(days=rng.randint(3, 28))
    act(item, "submit", actor="demo", note=rng.choice(NOTES["submit"]), when=min(submitted, today))
    if roll < 0.6:
        return  # waiting for verification
    if roll < 0.68:
        act(item, "return", actor="demo", note=rng.choice(NOTES["return"]), when=today - timedelta(days=1))
        return
    act(item, "verify", actor="demo", note="现场核验，已整改到位", when=today)
