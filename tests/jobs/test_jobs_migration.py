"""The jobs migration (c7a3e5d7f903) on a database holding users: up, a job stored, down and up again,
on SQLite and PostgreSQL."""
import pytest
from sqlalchemy import text

from ..migrating import at_revision, down, up

BEFORE_JOBS = "b8f2d4c6e802"


def _check(url: str):
    app, engine = at_revision(url, BEFORE_JOBS)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, username, password_hash, display_name, role) "
                          "VALUES (1, 'city', 'x', '', 'city')"))
    up(app)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO jobs (id, kind, owner_id, params, state, done, total, message, created_at, "
                          "expires_at) VALUES ('" + "a" * 32 + "', 'ranking', 1, '{\"campaign_id\": 1}', 'done', "
                          "1, 1, '', '2026-11-30 10:00:00', '2026-12-03 10:00:00')"))
        assert conn.execute(text("SELECT kind, state FROM jobs")).one() == ("ranking", "done")
    down(app, BEFORE_JOBS)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
        tables = {"sqlite": "SELECT count(*) FROM sqlite_master WHERE name = 'jobs'",
                  "postgresql": "SELECT count(*) FROM information_schema.tables WHERE table_name = 'jobs'"}
        assert conn.execute(text(tables[engine.dialect.name])).scalar() == 0
    up(app)
    engine.dispose()


def test_jobs_migration_up_and_down_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'populated.db'}")


@pytest.mark.postgres
def test_jobs_migration_up_and_down_postgresql(pg_server):
    if pg_server is None:
        pytest.skip("TEST_POSTGRES_URL given; migration test needs its own database")
    _check(pg_server.create_database("survey_jobs_migration"))
