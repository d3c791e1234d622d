"""Killing gunicorn workers with SIGKILL while residents submit loses no acknowledged submission.

gunicorn runs with the project's gunicorn.conf.py (two workers) on a fresh SQLite or PostgreSQL
database; client threads answer the survey over real HTTP (code, survey page, POST) and note every
household whose POST was answered with the redirect to the thank-you page. While they run, a
worker (never the master) is killed with SIGKILL three times, each after more submissions were
acknowledged. Afterwards every acknowledged household has its response stored with all its
answers, and SQLite's integrity check passes.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from survey_app import create_app
from survey_app.domain.responses import codes as tokens
from survey_app.extensions import db as _db
from survey_app.models import Answer, Household, Response

from .conftest import make_config
from .factories import build_world, form_for

ROOT = Path(__file__).resolve().parent.parent
HOUSEHOLDS = 90
CLIENTS = 6
KILL_AFTER = (10, 30, 50)  # a worker is killed once this many submissions are acknowledged
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(url: str) -> tuple[dict[int, str], dict[str, str], int]:
    """The schema, the test world, a code for each of HOUSEHOLDS households, and the survey form."""
    app = create_app(make_config(url))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        world = build_world()
        ids = list(_db.session.scalars(select(Household.id).order_by(Household.id).limit(HOUSEHOLDS)))
        codes = tokens.issue_codes(world.campaign.id, ids)
        form = form_for(world.campaign, "4", comment="楼道干净")
        questions = sum(1 for q in world.campaign.questions if q.scored)
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()
    return codes, form, questions


class Browser:
    """One resident's phone: keeps the cookies gunicorn sets (HTTP, so the Secure flag is ignored)."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for cookie in resp.msg.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, resp.getheader("Location") or "", text


def _submit(port: int, household_id: int, code: str, form: dict) -> bool:
    """Answer the survey for one household; True when the POST was acknowledged (302 to /s/thanks).

    A connection cut by a killed worker is not an acknowledgement; the household tries again (a
    resident whose page failed presses the button again)."""
    for _attempt in range(5):
        phone = Browser(port)
        try:
            status, where, _ = phone.request("GET", f"/s/{code}")
            if status != 302:
                continue
            status, _, page = phone.request("GET", "/s/")
            found = CSRF.search(page)
            if status != 200 or not found:
                continue
            status, where, _ = phone.request("POST", "/s/", {**form, "csrf_token": found.group(1)})
        except (OSError, http.client.HTTPException):
            continue
        if status == 302 and where.endswith("/s/thanks"):
            return True
    return False


def _workers(master: int) -> list[int]:
    """The gunicorn worker processes: the master's children."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry))
    return found


def _wait_until_serving(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120  # a readiness wait on a busy machine, not a timing assertion
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if Browser(port).request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "gunicorn did not answer: " + log.read_text()[-3000:]
        time.sleep(0.2)


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_db(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'survey.db'}"
    server = request.getfixturevalue("pg_server")
    return server.create_database("survey_crash") if server else request.getfixturevalue("pg_url")


def test_sigkilled_workers_lose_no_acknowledged_submission(crash_db, tmp_path):
    codes, form, questions = _prepare(crash_db)
    port = _free_port()
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": "k" * 64, "DATABASE_URL": crash_db,
           "PUBLIC_BASE_URL": "http://127.0.0.1", "SESSION_COOKIE_SECURE": "0", "PYTHONPATH": str(ROOT),
           "GUNICORN_WORKERS": "2", "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
           "JOB_FILES_FOLDER": str(tmp_path / "job-files")}
    env.pop("FLASK_APP", None)
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                 "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    acknowledged: list[int] = []
    kills: list[int] = []
    lock = threading.Lock()
    try:
        _wait_until_serving(port, proc, log)

        def one(item):
            household_id, code = item
            if _submit(port, household_id, code, form):
                with lock:
                    acknowledged.append(household_id)

        with ThreadPoolExecutor(CLIENTS) as pool:
            running = [pool.submit(one, item) for item in codes.items()]
            for threshold in KILL_AFTER:
                while len(acknowledged) < threshold and not all(f.done() for f in running):
                    time.sleep(0.01)
                workers = _workers(proc.pid)
                if workers:
                    os.kill(workers[0], signal.SIGKILL)
                    kills.append(workers[0])
            for f in running:
                f.result()
        served_after = Browser(port).request("GET", "/healthz")[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)

    assert len(kills) == len(KILL_AFTER) and proc.pid not in kills
    assert served_after == 200  # the master replaced the killed workers
    assert len(acknowledged) > KILL_AFTER[-1], log.read_text()[-3000:]

    app = create_app(make_config(crash_db))
    with app.app_context():
        stored = dict(_db.session.execute(select(Response.household_id, func.count(Answer.id))
                                          .join(Answer, Answer.response_id == Response.id)
                                          .group_by(Response.household_id)).all())
        _db.session.remove()
        _db.engine.dispose()
    lost = [h for h in acknowledged if h not in stored]
    assert not lost, f"acknowledged but not stored: {lost}"
    assert all(stored[h] >= questions for h in acknowledged)
    if crash_db.startswith("sqlite"):
        with sqlite3.connect(crash_db[len("sqlite:///"):]) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
