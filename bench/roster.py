"""Benchmark: importing a 50,000-row roster against merely reading the same file with openpyxl.

Usage:  python bench/roster.py [--rows 50000]

Builds an empty SQLite database with one district and street, writes a roster of N households
(200 compounds), then measures in the same run: (a) reading every cell with openpyxl
(read-only), the floor any importer pays; (b) a dry run (read, validate, resolve); (c) the real
import in one transaction; (d) re-importing the same file (idempotent: nothing added).
Prints seconds, rows per second and the ratio to (a); then the peak Python memory of each,
measured in a second pass on a second empty database (tracemalloc would distort the times;
--time-only skips that pass, which is slow for large files). Also prints how long the import
holds SQLite's write lock: from `begin_write()` (after the file is parsed) to the commit; when
the importer has no such step, a web request held it for the whole import.
"""
from __future__ import annotations

import argparse
import io
import tempfile
import time

from benchkit import bench_app, peak_memory, timed_once


def roster_bytes(rows: int) -> bytes:
    from openpyxl import Workbook

    from survey_app.domain.roster import TEMPLATE_HEADERS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(TEMPLATE_HEADERS)
    for i in range(rows):
        compound, rest = divmod(i, rows // 200 or 1)
        building, k = divmod(rest, 24)
        ws.append(["市中区", "文化路街道", f"第{compound % 10}社区", f"第{building % 5}网格", f"小区{compound}",
                   f"{building + 1}号楼", str(k // 12 + 1), f"{(k % 12) // 2 + 1}0{k % 2 + 1}",
                   f"物业公司{compound % 30}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--time-only", action="store_true", help="skip the (slow) memory pass")
    args = ap.parse_args()

    from flask_migrate import upgrade
    from openpyxl import load_workbook

    from survey_app.domain import roster
    from survey_app.extensions import db
    from survey_app.models import District, Street

    data = roster_bytes(args.rows)
    print(f"roster: {args.rows} rows, {len(data) / 1e6:.1f} MB")
    tmp = tempfile.mkdtemp(prefix="bench-roster-")
    passes = {}
    locked = {}
    if hasattr(roster, "begin_write"):  # importers that parse before taking the lock
        take = roster.begin_write

        def noted():
            locked.setdefault("at", time.perf_counter())
            take()
        roster.begin_write = noted
    for label in ("time",) if args.time_only else ("time", "memory"):  # each pass on its own empty database
        app = bench_app(f"sqlite:///{tmp}/{label}.db")
        with app.app_context():
            upgrade()
            d = District(name="市中区")
            db.session.add_all([d, Street(district=d, name="文化路街道")])
            db.session.commit()

            def read_only():
                wb = load_workbook(io.BytesIO(data), read_only=True)
                return sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))

            def dry():
                return roster.import_roster(data, dry_run=True)

            def real():
                locked.pop("at", None)
                t = time.perf_counter()
                r = roster.import_roster(data)
                db.session.commit()
                locked.setdefault("held", []).append(time.perf_counter() - locked.get("at", t))
                return r

            steps = (("openpyxl read (baseline)", read_only), ("dry run", dry), ("import", real),
                     ("re-import (no change)", real))
            if label == "time":
                passes[label] = [(name,) + timed_once(fn) for name, fn in steps]
            else:  # tracemalloc slows code down: a separate pass
                passes[label] = [peak_memory(fn)[0] for _, fn in steps]
            db.engine.dispose()
    results = passes["time"]
    assert results[2][2].added["households"] == args.rows, results[2][2].summary()
    assert results[3][2].unchanged == args.rows
    base = results[0][1]
    print(f"{'measure':26s} {'seconds':>8s} {'rows/s':>9s} {'× baseline':>11s} {'peak MB':>8s}")
    for (name, secs, _), peak in zip(results, passes.get("memory", [0] * len(results))):
        print(f"{name:26s} {secs:8.2f} {args.rows / secs:9.0f} {secs / base:11.2f} {peak / 1e6:8.1f}")
    held = locked["held"]
    print(f"write lock held: import {held[0]:.2f} s, re-import {held[1]:.2f} s")


if __name__ == "__main__":
    main()
