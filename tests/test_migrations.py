"""Migrations applied to a database that already holds data, on SQLite and PostgreSQL."""
import pytest
from sqlalchemy import text

from .migrating import at_revision, down, up

BEFORE_ACCOUNTS = "2c4fd48e7000"


def _populated_before_accounts(url: str):
    """A database at the revision before accounts, with a street, two grids and three users."""
    app, engine = at_revision(url, BEFORE_ACCOUNTS)
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
    up(app)
    with engine.connect() as conn:
        grids = conn.execute(text("SELECT user_id, grid FROM user_grids ORDER BY grid")).all()
        users = conn.execute(text("SELECT username, active, session_version FROM users ORDER BY id")).all()
        event = conn.execute(text("SELECT category, actor, ip FROM audit_events")).one()
    # The grid worker keeps the grids of their own street (not another street's, not unlabelled buildings).
    assert sorted(grids) == [(1, "第一网格"), (1, "第二网格")]
    assert [(u, bool(a), v) for u, a, v in users] == [("grid1", True, 0), ("street1", True, 0), ("city", True, 0)]
    assert tuple(event) == ("staff", "", "")
    down(app, BEFORE_ACCOUNTS)
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


def _one_place(conn, company: bool = False) -> None:
    """A district, a street, a community and a compound (阳光小区, managed by 安居物业 if `company`)."""
    conn.execute(text("INSERT INTO districts (id, name) VALUES (1, '市中区')"))
    conn.execute(text("INSERT INTO streets (id, district_id, name) VALUES (1, 1, '光明路街道')"))
    conn.execute(text("INSERT INTO communities (id, street_id, name) VALUES (1, 1, '幸福社区')"))
    if company:
        conn.execute(text("INSERT INTO companies (id, name) VALUES (1, '安居物业')"))
    conn.execute(text("INSERT INTO compounds (id, community_id, street_id, district_id, name, company_id) "
                      f"VALUES (1, 1, 1, 1, '阳光小区', {1 if company else 'NULL'})"))


BEFORE_LOOP = "ca47aba9fcd4"


def _check_rectification_loop(url: str):
    """Items raised before the loop keep their state, gain a category and a first history entry."""
    app, engine = at_revision(url, BEFORE_LOOP)
    with engine.begin() as conn:
        _one_place(conn, company=True)
        conn.execute(text("INSERT INTO campaigns (id, name, scope_level, opens_at, closes_at, status, min_responses, "
                          "min_coverage, comment_label) VALUES (1, '2026 上半年', 'city', '2026-01-01 00:00:00', "
                          "'2026-06-30 00:00:00', 'open', 10, 0.1, '意见')"))
        conn.execute(text("INSERT INTO dimensions (id, campaign_id, key, name, name_en, weight, position) VALUES "
                          "(1, 1, 'cleaning', '环境卫生', 'Cleaning', 1.0, 0), (2, 1, 'parking', '停车管理', 'Parking', 1.0, 1)"))
        conn.execute(text("INSERT INTO rectification_items (id, campaign_id, compound_id, company_id, dimension_id, "
                          "category, evidence, deadline, status, created_at, verified_at) VALUES "
                          "(1, 1, 1, 1, 1, '环境卫生', '得分 52.0', '2026-03-01', 'open', '2026-02-01 09:00:00', NULL), "
                          "(2, 1, 1, 1, 2, '停车管理', '得分 48.0', '2026-03-01', 'verified', '2026-02-01 09:00:00', "
                          "'2026-02-20 10:00:00')"))
    up(app)
    with engine.connect() as conn:
        items = conn.execute(text("SELECT id, category_key, source, status, assigned_at IS NOT NULL, submissions, "
                                  "deadline_missed FROM rectification_items ORDER BY id")).all()
        events = conn.execute(text("SELECT item_id, actor, from_state, to_state FROM rectification_events "
                                   "ORDER BY item_id")).all()
    assert [tuple(i[:5]) + (i[5], bool(i[6])) for i in items] == [
        (1, "cleaning", "low_score", "assigned", True, 0, False),
        (2, "parking", "low_score", "verified", True, 0, False)]
    assert [tuple(e) for e in events] == [(1, "system", None, "assigned"), (2, "system", None, "verified")]
    down(app, BEFORE_LOOP)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status FROM rectification_items ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "open"), (2, "verified")]
    engine.dispose()


def test_rectification_loop_migration_keeps_items_sqlite(tmp_path):
    _check_rectification_loop(f"sqlite:///{tmp_path / 'populated.db'}")


@pytest.mark.postgres
def test_rectification_loop_migration_keeps_items_postgresql(pg_server):
    if pg_server is None:
        pytest.skip("TEST_POSTGRES_URL given; migration test needs its own database")
    _check_rectification_loop(pg_server.create_database("survey_populated_loop"))


BEFORE_SIGNALS = "e0e08fc21cc6"


def _check_signals(url: str):
    """Campaigns that exist gain each a salt of their own; their responses keep their status, with no signals."""
    app, engine = at_revision(url, BEFORE_SIGNALS)
    with engine.begin() as conn:
        _one_place(conn)
        conn.execute(text("INSERT INTO buildings (id, compound_id, name) VALUES (1, 1, '1号楼')"))
        conn.execute(text("INSERT INTO households (id, building_id, compound_id, unit, room) "
                          "VALUES (1, 1, 1, '1', '101')"))
        for cid in (1, 2):
            conn.execute(text("INSERT INTO campaigns (id, name, scope_level, opens_at, closes_at, status, "
                              "min_responses, min_coverage, comment_label) VALUES (:id, :name, 'city', "
                              "'2026-01-01 00:00:00', '2026-06-30 00:00:00', 'open', 10, 0.1, '意见')"),
                         {"id": cid, "name": f"第 {cid} 轮"})
        conn.execute(text("INSERT INTO responses (id, campaign_id, household_id, compound_id, submitted_at, "
                          "updated_at, mode, status, score) VALUES (1, 1, 1, 1, '2026-02-01 19:00:00', "
                          "'2026-02-01 19:00:00', 'self', 'published', 80.0)"))
    up(app)
    with engine.connect() as conn:
        salts = [r[0] for r in conn.execute(text("SELECT signal_salt FROM campaigns ORDER BY id"))]
        status = conn.execute(text("SELECT status FROM responses")).scalar()
        signals = conn.execute(text("SELECT count(*) FROM response_signals")).scalar()
    assert all(s is not None and len(bytes(s)) == 32 for s in salts) and bytes(salts[0]) != bytes(salts[1])
    assert (status, signals) == ("published", 0)
    down(app, BEFORE_SIGNALS)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM responses")).scalar() == 1
    engine.dispose()


def test_signals_migration_salts_every_campaign_and_keeps_responses_sqlite(tmp_path):
    _check_signals(f"sqlite:///{tmp_path / 'populated.db'}")


@pytest.mark.postgres
def test_signals_migration_salts_every_campaign_and_keeps_responses_postgresql(pg_server):
    if pg_server is None:
        pytest.skip("TEST_POSTGRES_URL given; migration test needs its own database")
    _check_signals(pg_server.create_database("survey_populated_signals"))


BEFORE_COMPOUND_TOTALS = "137c55dbabbd"
COMPOUND_TOTALS = "a9e1c3b5d701"
COMMENT_COUNTS = "d8a4f6b2c913"


def _check_compound_totals(url: str):
    """Responses and households already stored come out as the compound totals and household counts."""
    app, engine = at_revision(url, BEFORE_COMPOUND_TOTALS)
    with engine.begin() as conn:
        _one_place(conn, company=True)
        conn.execute(text("INSERT INTO compounds (id, community_id, street_id, district_id, name, company_id) "
                          "VALUES (2, 1, 1, 1, '和平小区', NULL)"))
        conn.execute(text("INSERT INTO buildings (id, compound_id, name) VALUES (1, 1, '1号楼'), (2, 2, '1号楼')"))
        conn.execute(text("INSERT INTO households (id, building_id, compound_id, unit, room) VALUES "
                          "(1, 1, 1, '1', '101'), (2, 1, 1, '1', '102'), (3, 1, 1, '1', '201'), (4, 2, 2, '1', '101')"))
        conn.execute(text("INSERT INTO campaigns (id, name, scope_level, opens_at, closes_at, status, min_responses, "
                          "min_coverage, comment_label) VALUES (1, '2026 上半年', 'city', '2026-01-01 00:00:00', "
                          "'2026-06-30 00:00:00', 'open', 10, 0.1, '意见')"))
        for rid, hid, compound, company, status, score, overall, comment in [
                (1, 1, 1, 1, "published", 80.0, 5, "电梯常坏"), (2, 2, 1, 1, "published", 50.0, 3, ""),
                (3, 3, 1, None, "held", 100.0, None, "很好"), (4, 4, 2, None, "published", None, 4, "没分数"),
                (5, 1, 1, 1, "rejected", 25.0, 2, None)]:
            conn.execute(text("INSERT INTO responses (id, campaign_id, household_id, compound_id, company_id, "
                              "submitted_at, updated_at, mode, status, score, overall, comment) VALUES (:id, 1, :h, "
                              ":k, :co, '2026-02-01 19:00:00', '2026-02-01 19:00:00', 'self', :st, :s, :o, :c)"),
                         {"id": rid, "h": hid, "k": compound, "co": company, "st": status, "s": score, "o": overall,
                          "c": comment})
    up(app, COMPOUND_TOTALS)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT compound_id, company_id, status, n, total, total_sq, satisfied, overall_n "
                                 "FROM compound_totals ORDER BY compound_id, company_id, status")).all()
        households = conn.execute(text("SELECT id, households FROM compounds ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, 0, "held", 1, 100.0, 10000.0, 0, 0),
                                        (1, 1, "published", 2, 130.0, 8900.0, 1, 2),
                                        (1, 1, "rejected", 1, 25.0, 625.0, 0, 1)]
    assert [tuple(h) for h in households] == [(1, 3), (2, 1)]
    up(app, COMMENT_COUNTS)  # the totals then count their comments (an empty one is none)
    with engine.connect() as conn:
        comments = conn.execute(text("SELECT compound_id, company_id, status, comments FROM compound_totals "
                                     "ORDER BY compound_id, company_id, status")).all()
    assert [tuple(r) for r in comments] == [(1, 0, "held", 1), (1, 1, "published", 1), (1, 1, "rejected", 0)]
    down(app, BEFORE_COMPOUND_TOTALS)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM responses")).scalar() == 5
        assert conn.execute(text("SELECT count(*) FROM compounds")).scalar() == 2
        assert conn.execute(text("SELECT count(*) FROM households")).scalar() == 4
    engine.dispose()


def test_compound_totals_migration_fills_totals_and_household_counts_sqlite(tmp_path):
    _check_compound_totals(f"sqlite:///{tmp_path / 'populated.db'}")


@pytest.mark.postgres
def test_compound_totals_migration_fills_totals_and_household_counts_postgresql(pg_server):
    if pg_server is None:
        pytest.skip("TEST_POSTGRES_URL given; migration test needs its own database")
    _check_compound_totals(pg_server.create_database("survey_populated_compound_totals"))
