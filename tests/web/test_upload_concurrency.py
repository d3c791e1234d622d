"""Uploads never hold the database: residents answer while a 100,000-row roster is imported.

On SQLite (a file database, WAL), one process posts a 100,000-household roster as a street office
would (as another worker of the server would; a thread would share the residents' interpreter
lock while it parses, which a server's workers do not); meanwhile residents, each in their own
thread and browser session, enter with their code and submit their answers, one after another
for as long as the import runs. None may fail and
none may wait more than a second beyond the import's one write: the file is parsed before the import takes the write lock
(database.parses_first), and the write itself is short. The bound is the behaviour the issue
asks for ("none waits more than a second"), not a benchmark; the import's own time is measured
in bench/roster.py.
"""
from __future__ import annotations

import io
import multiprocessing
import threading
import time

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from survey_app.domain.roster import TEMPLATE_HEADERS
from survey_app.extensions import db as _db
from survey_app.models import Household, Response

from ..conftest import make_config
from ..factories import form_for, households_of, issue

ROWS = 100_000
WAIT_BOUND = 1.0  # seconds


@pytest.fixture(scope="session")
def big_roster() -> bytes:
    """100,000 households in 东城区 文化路街道 (the test world's street), built once per session."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(TEMPLATE_HEADERS)
    for i in range(ROWS):
        compound, rest = divmod(i, 500)
        building, k = divmod(rest, 24)
        ws.append(["东城区", "文化路街道", f"第{compound % 10}社区", f"第{building % 5}网格", f"新小区{compound}",
                   f"{building + 1}号楼", str(k // 12 + 1), f"{(k % 12) // 2 + 1}0{k % 2 + 1}", f"新物业{compound % 30}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"  # the lock under test is SQLite's


def test_residents_submit_while_a_large_roster_is_imported(app, world, big_roster):
    campaign = world.campaign
    homes = [h for k in (world.k1, world.k2, world.k3, world.k4) for h in households_of(k)]
    tokens = [issue(campaign, h) for h in homes[:40]]
    form = form_for(campaign)
    before = _db.session.scalar(select(func.count()).select_from(Household))

    ctx = multiprocessing.get_context("spawn")
    results, started = ctx.Queue(), ctx.Event()
    importer = ctx.Process(target=import_as_officer,
                           args=(app.config["SQLALCHEMY_DATABASE_URI"], big_roster, started, results))
    waits, failures, spans = [], [], []

    def resident(token):
        client = app.test_client()
        t = time.perf_counter()
        entered = client.get(f"/s/{token}")
        resp = client.post("/s/", data=form)
        waits.append(time.perf_counter() - t)  # entering with the code, then submitting
        spans.append((time.time() - waits[-1], time.time()))
        if entered.status_code != 302 or resp.status_code != 302:
            failures.append((entered.status_code, resp.status_code, resp.get_data(as_text=True)[:300]))

    resident(tokens[-1])  # the process's first survey request (templates compiled, pages kept) is not timed
    waits.clear()
    spans.clear()
    importer.start()
    assert started.wait(120), "the importing process did not start"
    # Residents arrive two at a time for as long as the import runs, through its parsing and its
    # writing; a household that answers again updates its answers (one voice per household).
    answered, n = {tokens[-1]}, 0
    while importer.is_alive():
        pair = [tokens[(n + i) % len(tokens)] for i in range(2)]
        n += 2
        threads = [threading.Thread(target=resident, args=(t,)) for t in pair]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        answered.update(pair)
        time.sleep(0.05)
    imported = results.get(timeout=60)
    importer.join()
    during = len(waits)
    print(f"\nimport {imported['seconds']:.1f} s; {during} submissions meanwhile; "
          f"longest wait {max(waits):.3f} s, median {sorted(waits)[len(waits) // 2]:.3f} s")

    lock = imported["lock"]
    print(f"the import held the write lock {lock['to'] - lock['from']:.3f} s; waits over 0.3 s: " + ", ".join(
        f"{w:.3f} s from {a - lock['from']:+.3f} s" for (a, _b), w in zip(spans, waits) if w > 0.3))
    assert imported["status"] == 200, imported["body"][:2000]
    assert during >= 10, f"only {during} submissions during the import ({imported['seconds']:.1f} s)"
    assert not failures, failures
    # A resident waits at most for the import's one short write, besides its own request's time.
    assert max(waits) < WAIT_BOUND + (lock["to"] - lock["from"]), sorted(waits)[-5:]
    _db.session.rollback()  # end this test's own read transaction: its snapshot predates the import
    assert _db.session.scalar(select(func.count()).select_from(Household)) == before + ROWS
    assert _db.session.scalar(select(func.count()).select_from(Response)) == len(answered)


def import_as_officer(url: str, data: bytes, started, results) -> None:
    """In its own process: log in as the city office and post the roster; report status and time."""
    from survey_app import create_app

    app = create_app(make_config(url))
    from survey_app.domain import roster
    take, lock = roster.begin_write, {}

    def noted():
        lock["from"] = time.time()
        take()
    roster.begin_write = noted

    @app.teardown_request
    def _end(_exc):
        if "from" in lock:
            lock.setdefault("to", time.time())
    officer = app.test_client()
    assert officer.post("/login", data={"username": "city", "password": "pw-123456"}).status_code == 302
    started.set()
    t = time.perf_counter()
    # A roster this large is imported as a job (JOB_LARGE_ROWS); the tests run a job as soon as the
    # request asking for it commits, so following the redirect lands on the finished job's page.
    resp = officer.post("/office/roster/", data={"file": (io.BytesIO(data), "roster.xlsx")},
                        content_type="multipart/form-data", follow_redirects=True)
    if "from" in lock:
        lock.setdefault("to", time.time())  # the job's commit ends no request of its own
    results.put({"lock": lock, "status": resp.status_code, "seconds": time.perf_counter() - t,
                 "body": resp.get_data(as_text=True)[:3000]})
