"""The API clients' migration (b8f2d4c6e802) on a database that holds data, on SQLite and PostgreSQL:
up adds an empty table beside everything that was there, a client written after it reads back,
and down removes the table and keeps the rest."""
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from .migrating import at_revision, down, up

BEFORE = "a9e1c3b5d701"
REVISION = "b8f2d4c6e802"


def _check(url: str):
    app, engine = at_revision(url, BEFORE)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO districts (id, name) VALUES (1, '市中区')"))
        conn.execute(text("INSERT INTO streets (id, district_id, name) VALUES (1, 1, '光明路街道')"))
        conn.execute(text("INSERT INTO users (id, username, password_hash, display_name, role) "
                          "VALUES (1, 'city', 'x', '', 'city')"))
        conn.execute(text("INSERT INTO audit_events (at, category, actor, ip, action, target, detail) "
                          "VALUES ('2026-11-01 08:00:00', 'staff', 'city', '', 'user.login', 'x', '')"))
    up(app, REVISION)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM api_clients")).scalar() == 0
        conn.execute(text("INSERT INTO api_clients (name, level, district_id, street_id, token_hash, token_hint, "
                          "created_at, created_by_id) VALUES ('热线', 'street', 1, 1, :h, 'sv_abcd', "
                          "'2026-11-30 10:00:00', 1)"), {"h": b"\x01" * 32})
        row = conn.execute(text("SELECT can_write, rate_limit, revoked_at, last_used_at FROM api_clients")).one()
        assert (bool(row[0]), row[1], row[2], row[3]) == (False, None, None, None)
    with engine.connect() as conn:  # the same hash twice is refused
        with pytest.raises(IntegrityError):
            conn.execute(text("INSERT INTO api_clients (name, level, token_hash, token_hint, created_at) "
                              "VALUES ('x', 'city', :h, '', '2026-11-30 10:00:00')"), {"h": b"\x01" * 32})
    down(app, BEFORE)
    assert "api_clients" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
    up(app)  # and up again, to the head
    assert "api_clients" in inspect(engine).get_table_names()
    engine.dispose()


def test_api_clients_migration_up_and_down_on_a_populated_database_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'populated.db'}")


@pytest.mark.postgres
def test_api_clients_migration_up_and_down_on_a_populated_database_postgresql(pg_server):
    if pg_server is None:
        pytest.skip("TEST_POSTGRES_URL given; migration test needs its own database")
    _check(pg_server.create_database("survey_populated_api_clients"))
