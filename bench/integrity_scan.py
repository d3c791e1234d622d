"""Benchmark: `scan` over a city's campaign (about 570,000 responses with signals), first and again.

Usage:  python bench/integrity_scan.py [--size city|small] [--database-url URL] [--repeat 3] [--seed 1]
                                      [--build-only]

Without --database-url it builds the demo city (1,000,000 households, ~570,000 responses; a few
minutes) in a temporary SQLite file, then bulk-inserts a signal row per response: one phone per
household, carrier networks shared by a few households of a compound and home networks, a few
common browsers, log-normal durations around 5.5 minutes, 2% changed later from the same phone;
and about 1% suspicious: in one compound in twenty, company staff answering a fifth of the
households from three phones in a few minutes each.

It then times `scan.scan(campaign)` broken into its parts (load_rows, detect, storing flags,
moving statuses, the commit), the first scan (every flag new) and a second with nothing new, and
as the baseline, in the same run, a plain `SELECT company_id, COUNT(*), AVG(score) ... GROUP BY`
over the campaign's responses. Prints seconds and ratios to the baseline: machines are shared and
noisy, compare ratios. The issue asks a city re-scored in under a minute.

--build-only stops after building (with --database-url sqlite:///city.db, copy the file to time
a first scan again without building).
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import defaultdict
from datetime import timedelta

from benchkit import bench_app, ensure_demo, timed

AGENTS = 40
AGENT_WEIGHTS = [1 / (i + 1) for i in range(AGENTS)]  # a few browsers are very common


def add_signals(campaign, seed: int) -> tuple[int, int]:
    """A signal row per response of the campaign that has none (and some later changes); return
    (signals, suspicious)."""
    from sqlalchemy import select

    from survey_app.domain.bulk import insert_rows, next_id, reset_sequences
    from survey_app.extensions import db
    from survey_app.models import Response, ResponseChange, ResponseSignal

    rng = random.Random(seed)  # nosec B311  # synthetic data
    agents = [rng.randbytes(32) for _ in range(AGENTS)]
    by_compound = defaultdict(list)
    for rid, kid, at, score in db.session.execute(
            select(Response.id, Response.compound_id, Response.submitted_at, Response.score)
            .outerjoin(ResponseSignal, ResponseSignal.response_id == Response.id)
            .where(Response.campaign_id == campaign.id, ResponseSignal.response_id.is_(None))):
        by_compound[kid].append((rid, at, score))
    signals, changes, suspicious = [], [], 0
    change_id = next_id(ResponseChange.__table__)
    cols = ("response_id", "campaign_id", "opened_at", "submitted_at", "duration", "device_hash",
            "last_device_hash", "network_hash", "agent_hash", "uniform")
    for kid, rows in by_compound.items():
        carriers = [rng.randbytes(32) for _ in range(max(1, len(rows) // 40))]
        staff = [rng.randbytes(32) for _ in range(3)] if kid % 20 == 0 else None
        for rid, at, score in rows:
            if staff and rng.random() < 0.2:  # company staff on three phones, quickly
                device, network, duration = rng.choice(staff), rng.choice(carriers), rng.uniform(60, 200)
                suspicious += 1
            else:
                device = rng.randbytes(32)
                network = rng.choice(carriers) if rng.random() < 0.6 else rng.randbytes(32)
                duration = min(rng.lognormvariate(5.8, 0.45), 3600.0)
            opened = at - timedelta(seconds=duration)
            agent = rng.choices(agents, AGENT_WEIGHTS)[0]
            signals.append((rid, campaign.id, opened, at, duration, device, device, network, agent, score == 100.0))
            if rng.random() < 0.02:
                later = at + timedelta(hours=rng.uniform(1, 48))
                changes.append((change_id, rid, campaign.id, later, device, network, False, score, score))
                change_id += 1
        if len(signals) > 50_000:
            insert_rows(ResponseSignal.__table__, cols, signals)
            signals.clear()
    insert_rows(ResponseSignal.__table__, cols, signals)
    insert_rows(ResponseChange.__table__, ("id", "response_id", "campaign_id", "at", "device_hash", "network_hash",
                                           "new_device", "score_before", "score_after"), changes)
    reset_sequences(ResponseChange.__table__)
    return sum(len(r) for r in by_compound.values()), suspicious


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="city", choices=["city", "small"])
    ap.add_argument("--database-url")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--build-only", action="store_true")
    args = ap.parse_args()

    from sqlalchemy import func, select, text

    from survey_app.domain.integrity import scan as scanning
    from survey_app.domain.integrity.detectors import Thresholds, detect
    from survey_app.domain.integrity.signals import campaign_key
    from survey_app.extensions import db
    from survey_app.models import Campaign, ResponseSignal

    app = bench_app(args.database_url)
    with app.app_context():
        ensure_demo(args.size)
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        campaign_key(campaign)
        t = time.perf_counter()
        made, suspicious = add_signals(campaign, args.seed)
        db.session.commit()
        if made:
            print(f"added {made} signal rows ({suspicious} from staff phones) in {time.perf_counter() - t:.1f} s")
        total = db.session.scalar(select(func.count()).select_from(ResponseSignal)
                                  .where(ResponseSignal.campaign_id == campaign.id))
        print(f"signal rows in the campaign: {total}")
        if args.build_only:
            return
        th = Thresholds.from_config(app.config)

        def baseline():
            db.session.execute(text("SELECT company_id, COUNT(*), AVG(score) FROM responses "
                                    "WHERE campaign_id = :c GROUP BY company_id"), {"c": campaign.id}).all()

        parts: dict[str, float] = {}

        def clocked(name, fn):
            def wrapper(*a, **k):
                t = time.perf_counter()
                out = fn(*a, **k)
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t
                return out
            return wrapper

        scanning.load_rows = clocked("load_rows", scanning.load_rows)
        scanning.detect = clocked("detect", scanning.detect)
        scanning._store_flags = clocked("store flags", scanning._store_flags)
        scanning._move = clocked("move statuses", scanning._move)

        def one_scan(label):
            parts.clear()
            t = time.perf_counter()
            result = scanning.scan(campaign, th)
            db.session.commit()
            total = time.perf_counter() - t
            db.session.expire_all()
            rest = total - sum(parts.values())
            return result, [(f"{label}: {k}", v) for k, v in parts.items()] + [
                (f"{label}: commit and the rest", rest), (f"{label}: whole scan", total)]

        base = timed(baseline, args.repeat)
        first, rows = one_scan("first scan")
        again, rows2 = one_scan("second scan")
        loaded, _ = scanning.load_rows(campaign.id)
        detect_alone = timed(lambda: detect(loaded, th), args.repeat)
        base_after = timed(baseline, args.repeat)
        base = statistics.median([base, base_after])
        print(f"first scan: {first.responses} judged, {first.held} held ({first.newly_held} newly), "
              f"flagged per detector {dict(sorted(first.by_kind.items()))}")
        print(f"second scan: {again.newly_held} newly held, {again.released} released")
        print(f"{'measure':40s} {'seconds':>9s} {'× baseline':>11s}")
        for name, secs in [("plain GROUP BY (baseline)", base), *rows, *rows2,
                           (f"detect alone (median of {args.repeat})", detect_alone)]:
            print(f"{name:40s} {secs:9.3f} {secs / base:11.1f}")


if __name__ == "__main__":
    main()
