"""Migrations applied to a database that already holds data, on SQLite and PostgreSQL."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from survey_app import create_app
from survey_app.extensions import db as _db

from .conftest import make_config

BEFORE_ACCOUNTS = "2c4fd48e7000"


def _populated_before_accounts(url: str):
    """A database at the revision before accounts, with a street, two grids and three users."""
    app = create_app(make_config(url))
    with app.app_context():
        upgrade(revision=BEFORE_ACCOUNTS)
        _db.engine.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO districts (id, name) VALUES (1, '市中区')"))
        conn.execute(text("INSERT INTO streets (id, district_id, name) VALUES (1, 1, '光明路街道'), (2, 1, '文化路街道')"))
        conn.execute(text("INSERT INTO communities (id, street_id, name) VALUES (1, 1, '幸福社区'), (2, 2, '和平社区')"))
        conn.execute(text("INSERT INTO compounds (id, community_id, street_id, district_id, name) "
                          "VALUES (1, 1, 1, 1, '阳光小区'), (2, 2, 2, 1, '和平小区')"))
        conn.execute(text("INSERT INTO buildings (id, compound_id, name, grid) VALUES "
                          "(1, 1, '1号楼', '第一网格'), (2, 1, '2号楼', '第二网格'), (3, 1, '3号楼', NULL), "
                          "(4, 2, '1号楼', '外街网格')"))
        conn.execute(text("INSERT INTO users (id, username, password_hash, display_name, role, district_id, street_id) "
                          "VALUES (1, 'grid1', 'x', '', 'grid', 1, 1), (2, 'street1', 'x', '', 'street', 1, 1), "
                          "(3, 'city', 'x', '', 'city', NULL, NULL)"))
        conn.execute(text("INSERT INTO audit_events (at, user_id, action, target, detail) "
                          "VALUES ('2026-11-01 08:00:00', 3, 'roster.import', 'x', '')"))
    return app, engine


def _check(url: str):
    app, engine = _populated_before_accounts(url)
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    with engine.connect() as conn:
        grids = conn.execute(text("SELECT user_id, grid FROM user_grids ORDER BY grid")).all()
        users = conn.execute(text("SELECT username, active, session_version FROM users ORDER BY id")).all()
        event = conn.execute(text("SELECT category, actor, ip FROM audit_events")).one()
    # The grid worker keeps the grids of their own street (not another street's, not unlabelled buildings).
    assert sorted(grids) == [(1, "第一网格"), (1, "第二网格")]
    assert [(u, bool(a), v) for u, a, v in users] == [("grid1", True, 0), ("street1", True, 0), ("city", True, 0)]
    assert tuple(event) == ("staff", "", "")
    with app.app_context():
        downgrade(revision=BEFORE_ACCOUNTS)
        _db.engine.dispose()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 3
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
    engine.dispose()


def test_accounts_migration_keeps_users_and_events_and_gives_grid_workers_their_grids_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'populated.db'}")


@pytest.mark.postgres
def test_accounts_migration_keeps_users_and_events_and_gives_grid_workers_their_grids_postgresql(pg_server):
    if pg_server is None:
        pytest.skip("TEST_POSTGRES_URL given; migration test needs its own database")
    _check(pg_server.create_database("survey_populated"))
