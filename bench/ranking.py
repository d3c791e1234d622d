"""Benchmark: the city ranking (computation, workbook, page), the officer overview and a company's
page against a plain SQL GROUP BY.

Usage:  python bench/ranking.py [--size small|city] [--database-url URL] [--repeat N] [--sql]

Without --database-url it builds the demo city of the given size in a temporary SQLite file
(the city size takes about a minute). It prints median wall times and, because machines are
shared and noisy, each figure as a ratio to the baseline measured in the same run: a plain
`SELECT company_id, COUNT(*), AVG(score) ... GROUP BY company_id` over the same responses.
Each warm figure also says how many SQL statements one call ran and how long the slowest took;
`--sql` lists every statement of one warm call of each page slower than 5 ms (what still scans).
"""
from __future__ import annotations

import argparse
import time
from contextlib import contextmanager

from benchkit import bench_app, ensure_demo, timed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="small", choices=["small", "city"])
    ap.add_argument("--database-url")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sql", action="store_true", help="list the statements of each page slower than 5 ms")
    args = ap.parse_args()

    from sqlalchemy import select, text

    from survey_app.domain import demo
    from survey_app.access import Area
    from survey_app.domain.clock import now
    from survey_app.domain.stats.reports import company_ranking
    from survey_app.domain.xlsx.ranking import ranking_workbook_for
    from survey_app.extensions import db
    from survey_app.models import Campaign

    app = bench_app(args.database_url)  # CSRF off: the bench logs in with a plain POST
    with app.app_context():
        ensure_demo(args.size)
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        area = Area("city")

        def baseline():
            db.session.execute(text("SELECT company_id, COUNT(*), AVG(score) FROM responses "
                                    "WHERE campaign_id = :c GROUP BY company_id"), {"c": campaign.id}).all()

        def ranking():
            company_ranking(campaign, area)

        def workbook():
            ranking_workbook_for(campaign, area, now())

        client = app.test_client()
        client.post("/login", data={"username": "city", "password": demo.DEMO_PASSWORD})

        def page():
            assert client.get("/office/ranking").status_code == 200

        def overview():
            assert client.get("/office/overview/").status_code == 200

        firm = app.test_client()
        firm.post("/login", data={"username": "company", "password": demo.DEMO_PASSWORD})

        def company_page():
            assert firm.get("/company/").status_code == 200

        # Cold: the first call in this process, before SQLite's page cache and SQLAlchemy's statement
        # cache have seen these queries. Warm: the median of later calls.
        cold = []
        for name, fn in (("city ranking page", page), ("city ranking (computation)", ranking),
                         ("city ranking workbook", workbook), ("city overview page", overview),
                         ("company page", company_page)):
            t = time.perf_counter()
            fn()
            cold.append((name + " (cold)", time.perf_counter() - t))
        base = timed(baseline, args.repeat)
        rows = [("plain GROUP BY (baseline)", base, "")] + [(n, s, "") for n, s in cold]
        slow = {}
        for name, fn in (("city ranking (computation)", ranking), ("city ranking workbook", workbook),
                         ("city ranking page", page), ("city overview page", overview),
                         ("company page", company_page)):
            secs = timed(fn, args.repeat)
            with statements(db.engine) as ran:
                fn()
            slow[name] = sorted((s for s in ran if s[0] >= 0.005), reverse=True)
            longest = max((t for t, _ in ran), default=0.0)
            rows.append((name + " (warm)", secs, f"{len(ran)} SQL, slowest {longest * 1000:.1f} ms"))
        print(f"{'measure':36s} {'seconds':>10s} {'× baseline':>11s}  statements of one call")
        for name, secs, note in rows:
            print(f"{name:36s} {secs:10.4f} {secs / base:11.1f}  {note}")
        if args.sql:
            for name, found in slow.items():
                print(f"\n{name}: statements over 5 ms")
                for secs, sql in found:
                    print(f"  {secs * 1000:8.1f} ms  {' '.join(sql.split())[:300]}")


@contextmanager
def statements(engine):
    """Yields a list that fills with (seconds, SQL) of every statement the engine runs in the block."""
    from sqlalchemy import event

    ran, started = [], []

    def before(conn, cursor, statement, parameters, context, executemany):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        ran.append((time.perf_counter() - started.pop(), statement))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield ran
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


if __name__ == "__main__":
    main()
