"""GET /healthz, and a database that goes away: a 503 page (or JSON) with Retry-After, never a
trace, and the same app serving again once the database is back."""
from __future__ import annotations

import os
import shutil
import sqlite3

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from survey_app import create_app, jobs
from survey_app.extensions import db as _db

from ..conftest import make_config, need
from ..factories import build_world, form_for, households_of, issue
from ..pgserver import PostgresServer

UNAVAILABLE = "系统暂时不可用"


def _enter(client, world):
    token = issue(world.campaign, households_of(world.k1)[0])
    assert client.get(f"/s/{token}").status_code == 302
    return client


def _assert_unavailable_page(resp):
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503 and resp.mimetype == "text/html"
    assert UNAVAILABLE in html and "请稍后再试" in html
    assert "Traceback" not in html and "OperationalError" not in html and "sqlite" not in html.lower()
    assert int(resp.headers["Retry-After"]) > 0


def test_healthz_answers_ok_without_login_or_cookie(client, world):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok", "queue": "ok"}
    assert "Set-Cookie" not in resp.headers
    assert resp.headers["Cache-Control"] == "no-store"


def test_healthz_says_when_the_job_queue_does_not_answer(client, world, monkeypatch):
    def broken():
        raise ConnectionError("redis is gone")
    monkeypatch.setattr(jobs, "health", broken)
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "unavailable", "database": "ok", "queue": "unavailable"}
    monkeypatch.setattr(jobs, "health", lambda: False)
    assert client.get("/healthz").get_json()["queue"] == "unavailable"


def test_healthz_is_not_rate_limited(tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'h.db'}", RATELIMIT_ENABLED=True))
    with app.app_context():
        _db.create_all()
        client = app.test_client()
        assert all(client.get("/healthz").status_code == 200 for _ in range(50))
        _db.engine.dispose()


def _sqlite_path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_file_gone_gives_503_then_recovers(app, client, world):
    _enter(client, world)
    assert client.get("/s/").status_code == 200
    path = _sqlite_path(app)
    _db.session.remove()
    _db.engine.dispose()
    os.rename(path, path + ".away")
    os.mkdir(path)  # the file cannot be opened: "unable to open database file"
    try:
        _assert_unavailable_page(client.get("/s/"))
        resp = client.get("/healthz")
        assert resp.status_code == 503
        assert resp.get_json()["status"] == "unavailable" and resp.get_json()["database"] == "unavailable"
        api = client.get("/s/", headers={"Accept": "application/json"})
        assert api.status_code == 503 and api.mimetype == "application/problem+json"
        assert UNAVAILABLE in api.get_json()["detail"] and api.headers["Retry-After"]
    finally:
        os.rmdir(path)
        os.rename(path + ".away", path)
    assert client.get("/s/").status_code == 200  # the same app, no restart
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_locked_gives_503_not_500(app, client, world):
    form = form_for(world.campaign, "4")  # a valid answer: it asks for the write lock (a refused form never does)
    _enter(client, world)
    _db.session.remove()
    _db.engine.dispose()
    # Give up on the lock quickly (production waits PRAGMA busy_timeout, 10 s, first).
    event.listen(_db.engine, "checkout", lambda dbapi, _rec, _proxy: dbapi.execute("PRAGMA busy_timeout=100"))
    holder = sqlite3.connect(_sqlite_path(app), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        resp = client.post("/s/", data=form)
        _assert_unavailable_page(resp)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.get("/s/").status_code == 200


def test_a_commit_that_fails_at_the_end_of_the_request_gives_503_in_production(app, client, world):
    app.testing = False  # as served: an error after the view reaches the error handlers

    def lost(_session):
        raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection unexpectedly"))
    code = issue(world.campaign, households_of(world.k1)[0])
    event.listen(Session, "before_commit", lost)
    try:
        resp = client.get(f"/s/{code}")  # reads the code: its request ends with a commit
    finally:
        event.remove(Session, "before_commit", lost)
    _assert_unavailable_page(resp)
    assert client.get(f"/s/{code}").status_code == 302


class RestartablePostgres(PostgresServer):
    """A private PostgreSQL server that can be stopped and started again on the same port."""

    def halt(self) -> None:
        # "fast": connections are cut, as when the server goes away; committed work is kept (the
        # test server runs with synchronous_commit=off, which an immediate stop could lose).
        self._run([self.pg_ctl, "-D", os.path.join(self.dir, "data"), "-m", "fast", "stop"])

    def resume(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run([self.pg_ctl, "-D", os.path.join(self.dir, "data"), "-o", opts, "-l",
                   os.path.join(self.dir, "log"), "-w", "start"])


@pytest.fixture
def own_postgres():
    server = RestartablePostgres()
    if not server.available:
        need("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server.start()
    yield server
    server.stop()
    if server.dir:
        shutil.rmtree(server.dir, ignore_errors=True)


@pytest.mark.postgres
def test_postgresql_stopped_gives_503_and_the_app_recovers_when_it_returns(own_postgres):
    app = create_app(make_config(own_postgres.create_database("survey_health")))
    with app.app_context():
        _db.create_all()
        world = build_world()
        client = _enter(app.test_client(), world)
        assert client.get("/s/").status_code == 200
        _db.session.remove()

        own_postgres.halt()
        _assert_unavailable_page(client.get("/s/"))
        assert client.get("/healthz").status_code == 503
        staff = app.test_client().post("/login", data={"username": "city", "password": "pw-123456"})
        _assert_unavailable_page(staff)

        own_postgres.resume()
        assert client.get("/s/").status_code == 200  # the same app and pool, no restart
        assert client.get("/healthz").get_json()["database"] == "ok"
        _db.session.remove()
        _db.engine.dispose()
