"""Fixtures: a fresh app and database per test, on SQLite and on PostgreSQL."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from survey_app import create_app
from survey_app.config import TestConfig
from survey_app.extensions import db as _db

from .pgserver import PostgresServer
from .redisserver import RedisServer

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(reason: str):
    """Skip with a reason on a developer machine; fail in CI, where every part is mandatory."""
    if IN_CI:
        pytest.fail(f"mandatory in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server():
    if os.environ.get("TEST_POSTGRES_URL"):
        yield None
        return
    server = PostgresServer()
    if not server.available:
        need("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    try:
        server.start()
    except Exception as e:  # the reason is reported in the skip/fail message
        need(f"could not start PostgreSQL: {e}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server):
    if pg_server is None:
        return os.environ["TEST_POSTGRES_URL"]
    return pg_server.create_database("survey_test")


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server on a free port (rate limits shared by workers are tested against it)."""
    server = RedisServer()
    if not server.available:
        need("redis-server is not installed (apt-get install redis-server)")
    try:
        server.start()
    except Exception as e:  # the reason is reported in the skip/fail message
        need(f"could not start redis-server: {e}")
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The Redis server's URL, emptied for this test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(params=["memory", "redis"])
def ratelimit_storage(request):
    """Rate-limit storage URI: the embedded default and Redis (as in production)."""
    return "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_url")


def make_config(url: str, **overrides):
    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = url
    for k, v in overrides.items():
        setattr(cfg, k, v)
    return cfg


_pg_schema_ready: set[str] = set()


@pytest.fixture
def app(db_url):
    app = create_app(make_config(db_url))
    with app.app_context():
        if db_url.startswith("postgresql"):
            if db_url not in _pg_schema_ready:
                _db.drop_all()
                _db.create_all()
                _pg_schema_ready.add(db_url)
            tables = ", ".join(t.name for t in _db.metadata.sorted_tables)
            _db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            _db.session.commit()
        else:
            _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(app):
    from .factories import build_world

    return build_world()


@pytest.fixture
def login(client):
    """Log the test client in as a user of the world (by username)."""
    def _login(username: str, password: str = "pw-123456"):
        resp = client.post("/login", data={"username": username, "password": password})
        assert resp.status_code == 302, resp.data.decode()[:500]
        return client
    return _login
