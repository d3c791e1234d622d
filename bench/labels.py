"""Benchmark: printing N QR labels to PDF against the raw rate of the QR encoder alone.

Usage:  python bench/labels.py [--n 20000] [--workers N] [--layout 3x7] [--single] [--keep DIR]

It builds a street of N households (50 compounds, 10 buildings each) in a temporary SQLite
file, then measures, each in a fresh child process so that peak memory is its own:
  (a) the QR encoder alone: qrcode (error correction M) making the module matrix of N survey
      URLs in one process, labels/s;
  (b) the whole `flask qr pdf` path: read households in batches, issue and store N codes,
      compute QR matrices (a process pool, one worker per core, by default), draw and write
      the PDF, commit; labels/s;
and prints (b)/(a) (against the faster of two runs of (a), one before and one after (b)), the ratio the issue asks to keep at 0.70 or more, and the peak resident
memory (ru_maxrss) of the main process and of the busiest worker. (b) is also run for N/4
labels: a flat memory profile gives the same peak for N/4 and N. `--single` adds (b) without
worker processes. Machines are shared and noisy; compare ratios, not absolute times.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from benchkit import ROOT, bench_app

BASE_URL = "https://wy.example.gov.cn"


def _peaks() -> dict:
    return {"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "workers_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def _app(db_path: str):
    return bench_app(f"sqlite:///{db_path}", PUBLIC_BASE_URL=BASE_URL)


def build(db_path: str, n: int) -> None:
    """A district with one street of n households: 5 communities, 50 compounds, 10 buildings each."""
    from datetime import timedelta

    from sqlalchemy import insert

    from survey_app.domain.clock import now
    from survey_app.domain.campaigns.standard import create_campaign
    from survey_app.extensions import db
    from survey_app.models import Building, Community, Compound, District, Household, Street

    app = _app(db_path)
    with app.app_context():
        db.create_all()
        d = District(name="测试区")
        s = Street(district=d, name="长江路街道")
        db.session.add_all([d, s])
        db.session.flush()
        per_building = max(1, -(-n // 500))
        left = n
        for ci in range(5):
            community = Community(street=s, name=f"第{ci + 1}社区")
            db.session.add(community)
            db.session.flush()
            for ki in range(10):
                compound = Compound(community=community, street_id=s.id, district_id=d.id,
                                    name=f"{['金色', '碧水', '翡翠', '御景', '阳光'][ki % 5]}家园{ci * 10 + ki + 1}期")
                db.session.add(compound)
                db.session.flush()
                for bi in range(10):
                    b = Building(compound_id=compound.id, name=f"{bi + 1}号楼")
                    db.session.add(b)
                    db.session.flush()
                    k = min(per_building, left)
                    left -= k
                    if k:
                        db.session.execute(insert(Household), [
                            {"building_id": b.id, "compound_id": compound.id, "unit": str(i // 40 + 1),
                             "room": f"{(i % 40) // 2 + 1}0{i % 2 + 1}"} for i in range(k)])
        create_campaign("2026年上半年物业服务满意度测评", opens_at=now(), closes_at=now() + timedelta(days=30))
        db.session.commit()


def phase_encoder(n: int) -> dict:
    """(a): qrcode alone, one process, making the matrix of n survey URLs."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    from survey_app.domain.responses import codes as tokens

    urls = [tokens.survey_url(BASE_URL, tokens.new_token()) for _ in range(n)]
    t = time.perf_counter()
    for url in urls:
        q = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
        q.add_data(url)
        q.make(fit=True)
        q.modules  # noqa: B018 - the matrix is the product
    seconds = time.perf_counter() - t
    return {"labels": n, "seconds": seconds, "rate": n / seconds, "version": q.version, **_peaks()}


def phase_pdf(db_path: str, n: int, workers: int | None, layout: str) -> dict:
    """(b): the whole print of n labels from the database to a PDF file, codes committed."""
    from sqlalchemy import delete, select

    from survey_app.domain.printing import labels as labels_pdf, selection
    from survey_app.extensions import db
    from survey_app.models import Campaign, Compound, Household, HouseholdCode, Street

    app = _app(db_path)
    with app.app_context():
        db.session.execute(delete(HouseholdCode))
        db.session.commit()
        campaign = db.session.scalar(select(Campaign))
        street = db.session.scalar(select(Street))
        sel = selection.selection_for(street)
        if n < selection.count(sel):  # the compounds holding the first n households
            nth = db.session.scalars(select(Household.compound_id).order_by(Household.id).offset(n - 1).limit(1)).one()
            sel.scope = Compound.id <= nth
        out_path = os.path.join(os.path.dirname(db_path), "labels.pdf")
        t = time.perf_counter()
        with open(out_path, "wb") as f:
            result = labels_pdf.write_labels(f, campaign, sel, BASE_URL, layout=layout, workers=workers)
        db.session.commit()
        seconds = time.perf_counter() - t
    return {"labels": result.labels, "pages": result.pages, "mb": result.bytes / 2**20, "seconds": seconds,
            "rate": result.labels / seconds, **_peaks()}


def child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), *args], capture_output=True, text=True,
                         cwd=ROOT)
    if out.returncode:
        sys.exit(f"bench step {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--workers", type=int, help="worker processes for (b); default one per core")
    ap.add_argument("--layout", default="3x7")
    ap.add_argument("--single", action="store_true", help="also run (b) without worker processes")
    ap.add_argument("--keep", help="build the database in this directory and keep it")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.phase == "encoder":
        print(json.dumps(phase_encoder(args.n)))
        return
    if args.phase == "pdf":
        print(json.dumps(phase_pdf(args.db, args.n, args.workers, args.layout)))
        return

    tmp = args.keep or tempfile.mkdtemp(prefix="bench-labels-")
    db_path = os.path.join(tmp, "bench.db")
    if not os.path.exists(db_path):
        t = time.perf_counter()
        build(db_path, args.n)
        print(f"built {args.n} households in {time.perf_counter() - t:.1f} s ({db_path})")
    print(f"cores: {len(os.sched_getaffinity(0))}; python {sys.version.split()[0]}")

    def pdf_args(n, workers):
        extra = ["--workers", str(workers)] if workers is not None else []
        return ["--phase", "pdf", "--db", db_path, "--n", str(n), "--layout", args.layout, *extra]

    def encoder(when):
        a = child(["--phase", "encoder", "--n", str(args.n)])
        print(f"(a) QR encoder alone, {when}: {a['labels']} matrices (version {a['version']}) in {a['seconds']:.1f} s"
              f" = {a['rate']:.0f} labels/s; peak RSS {a['rss_mb']:.0f} MB")
        return a

    # The baseline is measured before and after the PDF runs, and the faster of the two is used:
    # on a shared machine this keeps the ratio conservative.
    first = encoder("before")
    runs = [("(b) PDF", args.n, args.workers)]
    if args.single:
        runs.append(("(b) PDF, no workers", args.n, 0))
    runs.append(("(b) PDF, N/4", args.n // 4, args.workers))
    results = {}
    for label, n, workers in runs:
        b = child(pdf_args(n, workers))
        results[label] = b
        print(f"{label:21s} {b['labels']} labels, {b['pages']} pages, {b['mb']:.1f} MB in {b['seconds']:.1f} s = "
              f"{b['rate']:.0f} labels/s; peak RSS {b['rss_mb']:.0f} MB, "
              f"workers {b['workers_rss_mb']:.0f} MB")
    last = encoder("after")
    a = max(first, last, key=lambda r: r["rate"])
    print(f"baseline (a) = {a['rate']:.0f} labels/s (the faster of {first['rate']:.0f} and {last['rate']:.0f})")
    for label, b in results.items():
        print(f"{label:21s} {b['rate']:.0f} labels/s = {b['rate'] / a['rate']:.2f} x (a)")
    b, quarter = results["(b) PDF"], results["(b) PDF, N/4"]
    ratio = b["rate"] / a["rate"]
    print(f"ratio (b)/(a) = {ratio:.2f}  (target >= 0.70: {'met' if ratio >= 0.70 else 'NOT met'})")
    print(f"peak RSS: encoder {a['rss_mb']:.0f} MB; PDF main {b['rss_mb']:.0f} MB for N, {quarter['rss_mb']:.0f} MB "
          f"for N/4 (growth {b['rss_mb'] - quarter['rss_mb']:+.0f} MB); PDF worker {b['workers_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
