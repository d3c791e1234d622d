"""Rate limits that hold and do not hurt, the client behind the proxy, and the security events.

Failed code lookups (unknown or revoked codes) are what is limited per address; valid codes and
the survey pages are not. Every limit test runs on the embedded memory storage and on a real
Redis server (as in production), and two processes sharing one Redis share one limit.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from survey_app import create_app
from survey_app.extensions import db, limiter
from survey_app.models import AuditEvent

from ..conftest import make_config
from ..factories import PASSWORD, build_world, form_for, households_of, issue

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 5
UNKNOWN = "AAAAAAAAAAAAAAAAAAAAAA"


def _make_app(url, **overrides):
    settings = dict(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                    CODE_FAILURE_RATE_LIMIT=f"{LIMIT} per minute")
    settings.update(overrides)
    return create_app(make_config(url, **settings))


@pytest.fixture
def limited(tmp_path, ratelimit_storage):
    """An app with the code-failure limit on, a world in its SQLite database, and its storage empty.

    An app with other limiter settings is made first, as another test in the same process would:
    the limiter object is shared, and this app must count with its own settings all the same.
    """
    _make_app(f"sqlite:///{tmp_path / 'earlier.db'}", RATELIMIT_KEY_PREFIX="an-earlier-app",
              RATELIMIT_STRATEGY="fixed-window", RATELIMIT_STORAGE_URI="memory://")
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    app = _make_app(url, RATELIMIT_STORAGE_URI=ratelimit_storage)
    with app.app_context():
        db.create_all()
        world = build_world()
        limiter.reset()
        yield app, world
        db.session.remove()
        db.engine.dispose()


def _client(app, address="198.51.100.7"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _events(action):
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.category == "security",
                                                       AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def test_unknown_and_revoked_codes_are_limited_per_address(limited):
    app, world = limited
    homes = households_of(world.k1)
    revoked = issue(world.campaign, homes[0])
    issue(world.campaign, homes[0])  # reissued: the first code is revoked
    valid = issue(world.campaign, homes[1])
    c = _client(app)
    tries = [c.get(f"/s/{UNKNOWN[:-1]}{i}") for i in range(LIMIT - 2)] + [c.get(f"/s/{revoked}") for _ in range(2)]
    assert [r.status_code for r in tries] == [404] * LIMIT

    blocked = c.get(f"/s/{UNKNOWN}")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    page = blocked.data.decode()
    assert "操作过于频繁" in page and "分钟后" in page and UNKNOWN not in page
    # Once limited, an address tries no code at all (else guessing would go on at full speed).
    assert c.get(f"/s/{valid}").status_code == 429
    # Another address is not affected.
    assert _client(app, "198.51.100.8").get(f"/s/{valid}").status_code == 302


def test_429_in_english_and_as_problem_json(limited):
    app, world = limited
    c = _client(app)
    for i in range(LIMIT):
        c.get(f"/s/{UNKNOWN}")
    resp = c.get(f"/s/{UNKNOWN}?lang=en")
    assert resp.status_code == 429 and "Retry-After" in resp.headers
    with app.test_request_context("/api/x"):
        from survey_app.errors import too_many_requests

        problem = too_many_requests()
    assert problem.status_code == 429 and problem.mimetype == "application/problem+json"
    assert problem.get_json()["status"] == 429 and int(problem.headers["Retry-After"]) >= 1


def test_valid_codes_and_survey_pages_are_never_limited(limited):
    """A compound behind one carrier address on a visit evening: many households, no limit."""
    app, world = limited
    homes = households_of(world.k1)[: 3 * LIMIT]
    codes = [issue(world.campaign, h) for h in homes]
    statuses = []
    for token in codes:
        c = _client(app)  # every household's phone, one shared address
        statuses.append(c.get(f"/s/{token}").status_code)
        statuses.append(c.get("/s/").status_code)
        statuses.append(c.post("/s/", data=form_for(world.campaign)).status_code)
        statuses.append(c.get("/s/").status_code)
    assert 429 not in statuses
    assert statuses.count(302) == 2 * len(codes) and statuses.count(200) == 2 * len(codes)


def test_each_client_behind_one_trusted_proxy_has_its_own_limit(tmp_path, ratelimit_storage):
    app = _make_app(f"sqlite:///{tmp_path / 'p.db'}", RATELIMIT_STORAGE_URI=ratelimit_storage, TRUSTED_PROXIES=1)
    with app.app_context():
        db.create_all()
        limiter.reset()
        proxy = _client(app, "10.0.0.1")
        first = [proxy.get(f"/s/{UNKNOWN}", headers={"X-Forwarded-For": "203.0.113.1"}).status_code
                 for _ in range(LIMIT + 1)]
        other = proxy.get(f"/s/{UNKNOWN}", headers={"X-Forwarded-For": "203.0.113.2"}).status_code
        assert first == [404] * LIMIT + [429] and other == 404
        assert {e.ip for e in _events("code.unknown")} == {"203.0.113.1", "203.0.113.2"}
        db.session.remove()
        db.engine.dispose()


def test_without_trusted_proxies_x_forwarded_for_is_ignored(tmp_path, ratelimit_storage):
    app = _make_app(f"sqlite:///{tmp_path / 'p.db'}", RATELIMIT_STORAGE_URI=ratelimit_storage, TRUSTED_PROXIES=0)
    with app.app_context():
        db.create_all()
        limiter.reset()
        c = _client(app, "10.0.0.1")
        # A client cannot dodge its limit by writing a new X-Forwarded-For each time.
        statuses = [c.get(f"/s/{UNKNOWN}", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                    for i in range(LIMIT + 1)]
        assert statuses == [404] * LIMIT + [429]
        assert {e.ip for e in _events("code.unknown")} == {"10.0.0.1"}
        db.session.remove()
        db.engine.dispose()


def test_trusted_proxies_set_remote_addr(tmp_path):
    seen = {}
    for hops in (0, 1):
        app = create_app(make_config(f"sqlite:///{tmp_path / 'r.db'}", TRUSTED_PROXIES=hops))

        @app.get("/_addr")
        def _addr():
            from flask import request

            seen[hops] = (request.remote_addr, request.scheme)
            return ""

        _client(app, "10.0.0.1").get(
            "/_addr", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.5", "X-Forwarded-Proto": "https"})
    # One proxy of ours appended the last entry; what came before it is the client's to write.
    assert seen == {0: ("10.0.0.1", "http"), 1: ("203.0.113.5", "https")}


def test_security_events_name_the_address_and_are_throttled(limited):
    app, world = limited
    homes = households_of(world.k1)
    old = issue(world.campaign, homes[0])
    issue(world.campaign, homes[0])
    c = _client(app)
    c.get(f"/s/{UNKNOWN}")
    c.get(f"/s/{old}")
    unknown, revoked = _events("code.unknown"), _events("code.revoked")
    assert [(e.ip, e.target) for e in unknown] == [("198.51.100.7", "")]
    assert [(e.ip, e.target, e.street_id) for e in revoked] == [("198.51.100.7", f"household:{homes[0].id}",
                                                                  world.s1.id)]
    assert all(old not in (e.target + e.detail) for e in unknown + revoked)

    for _ in range(LIMIT + 3):
        c.get(f"/s/{UNKNOWN}")
    limited_events = _events("rate_limited")
    # Four 429s, one row: a flood of limited requests writes a few rows, not one per request.
    assert [(e.ip, e.target) for e in limited_events] == [("198.51.100.7", "GET /s/[code]")]


def test_a_refusal_is_recorded_with_the_user_and_address(limited):
    app, world = limited
    c = _client(app, "192.0.2.44")
    assert c.post("/login", data={"username": "street1", "password": PASSWORD}).status_code == 302
    assert c.get(f"/office/overview/?area=street:{world.s3.id}").status_code == 403
    assert [(e.ip, e.actor, e.target) for e in _events("refused")] == [
        ("192.0.2.44", "street1", "GET /office/overview/")]


TWIN_WORKER = r"""
import sys
from survey_app import create_app
from survey_app.config import TestConfig

cfg = TestConfig()
cfg.SQLALCHEMY_DATABASE_URI, cfg.RATELIMIT_STORAGE_URI = sys.argv[1], sys.argv[2]
cfg.RATELIMIT_ENABLED, cfg.CODE_FAILURE_RATE_LIMIT = True, sys.argv[3]
app = create_app(cfg)
c = app.test_client()
c.environ_base["REMOTE_ADDR"] = "198.51.100.7"
print(" ".join(str(c.get("/s/" + "B" * 22).status_code) for _ in range(int(sys.argv[4]))))
"""


def test_two_workers_share_one_limit_on_redis_but_not_in_memory(limited, ratelimit_storage):
    """A second process (another gunicorn worker, another machine) counts into the same limit."""
    app, world = limited
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    other = subprocess.run([sys.executable, "-c", TWIN_WORKER, url, ratelimit_storage, f"{LIMIT} per minute",
                            str(LIMIT)], cwd=ROOT, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert other.returncode == 0, other.stderr[-3000:]
    assert other.stdout.split() == ["404"] * LIMIT
    here = _client(app).get(f"/s/{UNKNOWN}").status_code
    if ratelimit_storage.startswith("redis://"):
        assert here == 429  # the other worker's failures count here too
    else:
        assert here == 404  # memory:// counts per process: why production uses Redis


def test_a_limit_storage_that_stops_answering_does_not_stop_the_survey(tmp_path):
    """Redis down: codes still work and failures are still limited, counted in this worker's memory."""
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    app = _make_app(f"sqlite:///{tmp_path / 'd.db'}", RATELIMIT_STORAGE_URI=dead)
    try:
        with app.app_context():
            db.create_all()
            world = build_world()
            valid = issue(world.campaign, households_of(world.k1)[0])
            c = _client(app)
            statuses = [c.get(f"/s/{UNKNOWN}").status_code for _ in range(LIMIT + 1)]
            assert statuses == [404] * LIMIT + [429]
            assert _client(app, "198.51.100.9").get(f"/s/{valid}").status_code == 302
            db.session.remove()
            db.engine.dispose()
    finally:
        # The limiter is one object for every app of this process; later tests' storage is alive.
        limiter._storage_dead = False
