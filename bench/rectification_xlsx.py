"""Benchmark: the rectification workbook both ways, against bare openpyxl in the same run.

Usage:  python bench/rectification_xlsx.py [--items 100000] [--edited 10000] [--repeat 3] [--time-only]

Builds a SQLite database (bulk inserts) with a city of 10 streets, 100 communities, 2,000
compounds and 300 companies, a campaign of N items (default 100,000) in every state and a small
campaign of 20,000, then measures in the same run:

* export: `rectification_workbook` (query with joins, streamed write-only sheet, number formats,
  the state list, overdue rows filled) against a bare openpyxl write-only loop appending the same
  rows (same cells, values already in memory, no styles) and saving; rows/s of both and the ratio
  (the aim: at least 0.8);
* memory: the export's peak Python memory (tracemalloc, in a separate pass: it slows code down) at
  20,000 and at N rows, beside the file's own size: flat means the peak does not grow with N
  beyond the bytes of the file;
* import: a workbook of `--edited` rows (default 10,000; 待核验 → 已整改（核验通过）, by a city
  officer) imported as a dry run and for real (the moves, their events and audit records,
  committed), against a bare openpyxl read-only read of the same file; seconds, rows/s, ratios.
"""
from __future__ import annotations

import argparse
import io
import tempfile
from datetime import datetime, timedelta

from benchkit import bench_app, peak_memory, timed_once

STATES = ("open", "assigned", "in_progress", "submitted", "returned", "verified", "closed", "submitted")
SMALL = 20_000


def build(n_items: int):
    """The city and two campaigns (SMALL and n_items items), written in bulk; returns their ids."""
    from sqlalchemy import insert

    from survey_app.domain.campaigns.standard import create_campaign
    from survey_app.extensions import db
    from survey_app.models import Community, Company, Compound, District, RectificationItem, Street, User

    d = District(name="市中区")
    db.session.add(d)
    db.session.flush()
    streets = [Street(district_id=d.id, name=f"第{i}街道") for i in range(10)]
    db.session.add_all(streets)
    db.session.flush()
    communities = [Community(street_id=streets[i // 10].id, name=f"第{i}社区") for i in range(100)]
    companies = [Company(name=f"物业服务有限公司{i}") for i in range(300)]
    db.session.add_all(communities + companies)
    db.session.flush()
    compound_rows = [{"community_id": communities[i // 20].id, "street_id": communities[i // 20].street_id,
                      "district_id": d.id, "name": f"小区{i}", "company_id": companies[i % 300].id}
                     for i in range(2000)]
    db.session.execute(insert(Compound.__table__), compound_rows)
    compound_ids = [c.id for c in db.session.query(Compound.id).order_by(Compound.id)]
    company_of = {c.id: c.company_id for c in db.session.query(Compound.id, Compound.company_id)}
    now = datetime.now()
    today = now.date()
    opened = now - timedelta(days=1)
    campaigns = {}
    for name, size in (("small", SMALL), ("large", n_items)):
        c = create_campaign(f"基准测评{name}", opened, now + timedelta(days=30))
        db.session.flush()
        campaigns[name] = c.id
        rows = []
        for i in range(size):
            status = STATES[i % len(STATES)]
            k = compound_ids[i % len(compound_ids)]
            rows.append({
                "campaign_id": c.id, "compound_id": k, "company_id": company_of[k], "category_key": f"k{i}",
                # two in three from a low dimension score (score and rate), one from a category many
                # respondents named (its share), as the rules raise them
                "category": "环境卫生", "source": "low_score" if i % 3 else "category",
                "evidence": f"环境卫生得分 {40 + i % 20}.5，满意率 {30 + i % 40}%，{10 + i % 50} 户作答",
                "score": 40 + (i % 200) / 10 if i % 3 else None, "rate": (i % 100) / 100 if i % 3 else None,
                "respondents": 10 + i % 50, "share": None if i % 3 else (i % 30) / 100,
                "status": status, "created_at": opened,
                "deadline": (today + timedelta(days=(i % 40) - 10)) if status not in ("open",) else None,
                "submissions": 0, "deadline_missed": i % 11 == 0, "note": "已约谈项目经理" if i % 17 == 0 else None})
            if len(rows) == 10_000:
                db.session.execute(insert(RectificationItem.__table__), rows)
                rows = []
        if rows:
            db.session.execute(insert(RectificationItem.__table__), rows)
    officer = User(username="bench_city", role="city", display_name="bench")
    officer.set_password("bench-Passw0rd-x")
    db.session.add(officer)
    db.session.commit()
    return campaigns, officer


def bare_rows(f) -> list[list]:
    """The export's rows as plain values, in memory (what the bare loop writes)."""
    from survey_app.domain.clock import now
    from survey_app.domain.xlsx.rectification import HEADERS, _rows, items_query
    from survey_app.extensions import db

    return list(_rows(db.session.execute(items_query(f)), now().date(), HEADERS))


def bare_write(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("整改清单")
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def edited_workbook(exported: bytes, how_many: int) -> tuple[bytes, int]:
    """The exported workbook cut to its first `how_many` 待核验 rows, each set to 已整改（核验通过）:
    the same title block and header, as an office would send it back."""
    from openpyxl import Workbook, load_workbook

    src = load_workbook(io.BytesIO(exported), read_only=True).worksheets[0]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("整改清单")
    status_col, kept, header_seen = None, 0, False
    for row in src.iter_rows(values_only=True):
        row = list(row)
        if not header_seen:
            ws.append(row)
            if row and row[0] == "编号":
                header_seen, status_col = True, row.index("状态")
            continue
        if kept < how_many and row[status_col] == "待核验":
            row[status_col] = "已整改（核验通过）"
            ws.append(row)
            kept += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), kept


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--edited", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each export measure (best taken)")
    ap.add_argument("--time-only", action="store_true", help="skip the (slow) memory pass")
    args = ap.parse_args()

    from openpyxl import load_workbook

    from survey_app.access import rectification_clause
    from survey_app.domain.rectification import sheet_import
    from survey_app.domain.xlsx.rectification import Filters, rectification_workbook
    from survey_app.extensions import db

    tmp = tempfile.mkdtemp(prefix="bench-rectification-")
    app = bench_app(f"sqlite:///{tmp}/bench.db")
    with app.app_context(), app.test_request_context():
        db.create_all()
        t, (campaigns, officer) = timed_once(lambda: build(args.items))
        print(f"built {args.items + SMALL} items in {t:.1f} s")
        clause = rectification_clause(officer)
        large = Filters(campaigns["large"], clause)

        def export(f=large):
            return rectification_workbook(f, "基准测评", "全市", "全市")

        rows = bare_rows(large)
        export()  # warm the query plan and openpyxl's imports
        # Alternated, best of --repeat each: the machine is shared, and load drifts within a run.
        t_bare = t_export = float("inf")
        for _ in range(args.repeat):
            t, bare = timed_once(lambda rows=rows: bare_write(rows))
            t_bare = min(t_bare, t)
            t, (data, count) = timed_once(export)
            t_export = min(t_export, t)
        assert count == args.items == len(rows)
        del rows
        n = args.items
        print(f"\nexport of {n} items ({len(data) / 1e6:.1f} MB; bare file {len(bare) / 1e6:.1f} MB)")
        print(f"{'measure':34s} {'seconds':>8s} {'rows/s':>9s}")
        print(f"{'bare openpyxl write-only loop':34s} {t_bare:8.2f} {n / t_bare:9.0f}")
        print(f"{'rectification_workbook':34s} {t_export:8.2f} {n / t_export:9.0f}")
        print(f"export rate / bare rate: {t_bare / t_export:.2f} (aim ≥ 0.8)")

        if not args.time_only:
            print("\npeak Python memory of the export (tracemalloc)")
            for label, f, size in (("20,000 rows", Filters(campaigns["small"], clause), SMALL),
                                   (f"{n:,} rows", large, n)):
                peak, (out, _c) = peak_memory(lambda f=f: export(f))
                print(f"{label:>14s}: peak {peak / 1e6:6.1f} MB, of which the file {len(out) / 1e6:5.1f} MB; "
                      f"without it {(peak - len(out)) / 1e6:5.1f} MB ({(peak - len(out)) / size:.0f} B/row)")

        edited, kept = edited_workbook(data, args.edited)
        del data

        def read_only():
            wb = load_workbook(io.BytesIO(edited), read_only=True)
            return sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))

        def dry():
            r = sheet_import.import_items(edited, officer, dry_run=True)
            db.session.rollback()
            return r

        def real():
            r = sheet_import.import_items(edited, officer, dry_run=False)
            db.session.commit()
            return r

        t_read, _ = timed_once(read_only)
        t_dry, r_dry = timed_once(dry)
        t_real, r_real = timed_once(real)
        assert r_dry.ok and r_real.ok, [str(e) for e in (r_dry.errors or r_real.errors)[:5]]
        assert r_real.moves == {"verify": kept}, r_real.moves
        print(f"\nimport of {kept} edited rows (待核验 → 已整改（核验通过）), {len(edited) / 1e6:.1f} MB")
        print(f"{'measure':34s} {'seconds':>8s} {'rows/s':>9s} {'× baseline':>11s}")
        for name, secs in (("bare openpyxl read (baseline)", t_read), ("dry run", t_dry),
                           ("import (moves, events, audit)", t_real)):
            print(f"{name:34s} {secs:8.2f} {kept / secs:9.0f} {secs / t_read:11.2f}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
