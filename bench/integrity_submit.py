"""Benchmark: the survey's submit path with the integrity signals and without them.

Usage:  python bench/integrity_submit.py [--submissions 200] [--database-url URL] [--profile]

Without --database-url it builds the small demo city in a temporary SQLite file. Each resident has
its own test client (its own device cookie): it opens its code's link and the survey page
(untimed), then the timed part is the POST /s/ a phone would send, answers first given, then the
same households editing them from the same phone. "Without" is the same path with
`signals.record` replaced by a no-op; the two alternate submission by submission (A B B A ...)
so a noisy machine hurts both alike. Also timed the same way: `save_response` + commit directly,
where the signals' share is larger. Prints median milliseconds per submission and the ratio
with/without: the issue asks the submit path to stay within 10% of its speed without detection.

--profile prints cProfile's top entries for the submissions with signals.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time

from benchkit import bench_app, ensure_demo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--submissions", type=int, default=200, help="households per path (with, without)")
    ap.add_argument("--database-url")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    from sqlalchemy import select

    from survey_app.domain.integrity import signals
    from survey_app.domain.responses.codes import issue_codes
    from survey_app.domain.responses.survey import ParsedSurvey, save_response
    from survey_app.extensions import db
    from survey_app.models import Campaign, Household, Response, ResponseSignal

    app = bench_app(args.database_url)
    real_record = signals.record

    def switch(on: bool) -> None:
        signals.record = real_record if on else (lambda *a, **k: None)

    with app.app_context():
        ensure_demo("small")
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        n = args.submissions
        fresh = db.session.scalars(
            select(Household.id).where(~Household.id.in_(
                select(Response.household_id).where(Response.campaign_id == campaign.id)))
            .order_by(Household.id).limit(4 * n)).all()
        if len(fresh) < 4 * n:
            sys.exit(f"only {len(fresh)} households without answers; need {4 * n}")
        web_ids, direct_ids = fresh[:2 * n], fresh[2 * n:]
        tokens = issue_codes(campaign.id, web_ids, reason="bench")
        db.session.commit()
        scored = [q.id for q in campaign.questions if q.scored]
        campaign_id = campaign.id

    def form(k: int, value: int) -> dict:
        data = {f"q{qid}": str(1 + (value + i) % 5) for i, qid in enumerate(scored)}
        if k % 10 == 0:
            data["comment"] = "电梯经常停运，报修没人来"
        return data

    order = [i % 4 in (0, 3) for i in range(2 * n)]  # with, without, without, with, ...
    profiler = cProfile.Profile() if args.profile else None
    times: dict[tuple[str, bool], list[float]] = {}

    # Through the web, as a resident's phone: first answers, then edits from the same phone.
    clients = [app.test_client() for _ in web_ids]
    for phase, value in (("new answers", 4), ("edits", 2)):
        for k, (hid, c, on) in enumerate(zip(web_ids, clients, order)):
            assert c.get(f"/s/{tokens[hid]}").status_code == 302
            assert c.get("/s/?later=1").status_code == 200  # later: skip items to confirm
            switch(on)
            data = form(k, value)
            if on and profiler:
                profiler.enable()
            t = time.perf_counter()
            r = c.post("/s/", data=data, environ_base={"REMOTE_ADDR": f"198.51.{k % 200}.{k % 250 + 1}"},
                       headers={"User-Agent": f"Mozilla/5.0 (Linux; Android 1{k % 5}) bench"})
            took = time.perf_counter() - t
            if on and profiler:
                profiler.disable()
            assert r.status_code == 302, r.status_code
            times.setdefault((f"POST /s/ ({phase})", on), []).append(took)
    switch(True)

    # Directly: save_response + commit, the domain's part of the same path.
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        for phase, value in (("new answers", 5), ("edits", 3)):
            for k, (hid, on) in enumerate(zip(direct_ids, order)):
                switch(on)
                parsed = ParsedSurvey(answers={qid: 1 + (value + i) % 5 for i, qid in enumerate(scored)},
                                      comment="楼道灯坏了" if k % 10 == 0 else None)
                seen = signals.Seen(device=f"bench-device-{hid:016d}", address=f"203.0.113.{k % 250 + 1}",
                                    agent="Mozilla/5.0 bench", opened_at=None)
                t = time.perf_counter()
                save_response(campaign, hid, parsed, seen=seen)
                db.session.commit()
                times.setdefault((f"save_response + commit ({phase})", on), []).append(time.perf_counter() - t)
        switch(True)
        kept = db.session.scalar(select(db.func.count()).select_from(ResponseSignal))

    print(f"{n} submissions per path and phase, interleaved; signal rows in the database: {kept}")
    print(f"{'measure':44s} {'with ms':>8s} {'without ms':>11s} {'ratio':>6s}")
    for name in dict.fromkeys(k[0] for k in times):
        on, off = statistics.median(times[(name, True)]), statistics.median(times[(name, False)])
        print(f"{name:44s} {on * 1000:8.2f} {off * 1000:11.2f} {on / off:6.3f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler).sort_stats("cumulative").print_callees("signals.py")


if __name__ == "__main__":
    main()
