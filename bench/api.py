"""Benchmark: the city's company ranking through the API against the ranking page, in one run.

Usage:  python bench/api.py [--size small|city] [--database-url URL] [--repeat N]

Without --database-url it builds the demo city of the given size in a temporary SQLite file. Both
read the same aggregates (stats.reports.company_ranking); the API adds each company's
rectification loop, the page the previous round's changes and the held count. It prints the
median wall time of each (the two alternate, so a noisy machine slows both alike), the API's
ratio to the page (issue 14 aims at ≤ 1.2), and a revalidation answered 304 by its ETag.
"""
from __future__ import annotations

import argparse
import time

from benchkit import bench_app, ensure_demo, timed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="small", choices=["small", "city"])
    ap.add_argument("--database-url")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    from sqlalchemy import select

    from survey_app.access import Area
    from survey_app.api import clients
    from survey_app.domain import demo
    from survey_app.extensions import db
    from survey_app.models import Campaign, User

    app = bench_app(args.database_url)
    with app.app_context():
        ensure_demo(args.size)
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id))
        admin = db.session.scalar(select(User).where(User.username == "city"))
        _client, token = clients.create(admin, f"bench-{time.time_ns()}", Area("city"), can_write=False)
        db.session.commit()
        campaign_id = campaign.id
        db.session.remove()

    staff = app.test_client()
    staff.post("/login", data={"username": "city", "password": demo.DEMO_PASSWORD})
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/campaigns/{campaign_id}/rankings?area=city&limit=1000"

    def page():
        assert staff.get(f"/office/ranking?campaign={campaign_id}").status_code == 200

    def through_api():
        resp = api.get(url, headers=headers)
        assert resp.status_code == 200, resp.data[:300]
        return resp

    cold_page = timed(page, 1)
    cold_api = timed(through_api, 1)
    etag = through_api().headers["ETag"]
    companies = through_api().get_json()["total"]

    def revalidate():
        assert api.get(url, headers={**headers, "If-None-Match": etag}).status_code == 304

    pages, apis = [], []
    for _ in range(args.repeat):  # alternate: both see the same machine load
        pages.append(timed(page, 1))
        apis.append(timed(through_api, 1))
    pages.sort()
    apis.sort()
    warm_page, warm_api = pages[len(pages) // 2], apis[len(apis) // 2]
    revalidated = timed(revalidate, args.repeat)
    where = args.database_url.rsplit("/", 1)[-1] if args.database_url else f"demo city ({args.size})"
    print(f"{where}: {companies} companies in the city ranking")
    print(f"{'measure':40s} {'seconds':>9s}")
    for name, secs in (("ranking page (cold)", cold_page), ("ranking through the API (cold)", cold_api),
                       ("ranking page (warm, median)", warm_page), ("ranking through the API (warm, median)", warm_api),
                       ("API revalidation, 304 by ETag (median)", revalidated)):
        print(f"{name:40s} {secs:9.4f}")
    print(f"API / page: {warm_api / warm_page:.2f}× (aim ≤ 1.2×)")


if __name__ == "__main__":
    main()
