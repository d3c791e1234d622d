"""`flask backup create|restore`: a back-up taken, the data changed and destroyed, the back-up
restored: the same counts and the same company ranking, on SQLite and on PostgreSQL."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select, text

from survey_app.access import Area
from survey_app.domain import backup
from survey_app.domain.stats.reports import company_ranking
from survey_app.extensions import db as _db
from survey_app.models import Answer, Campaign, Household, Response

from .factories import answer, households_of


def _populate(world):
    for compound, value in ((world.k1, 5), (world.k2, 3), (world.k3, 4), (world.k4, 2)):
        for i, h in enumerate(households_of(compound)[:8]):
            answer(world.campaign, h, value=value if i % 3 else max(1, value - 1))


def _picture():
    """What a restore must bring back: counts, and the city's company ranking."""
    _db.session.expire_all()
    counts = {m.__name__: _db.session.scalar(select(func.count()).select_from(m))
              for m in (Household, Response, Answer)}
    ranking = company_ranking(_db.session.scalar(select(Campaign)), Area("city"))
    rows = [(r.stats.key, r.stats.label, r.eligible, r.rank, r.stats.n,
             None if r.stats.mean is None else round(r.stats.mean, 6)) for r in ranking.rows]
    return counts, rows


def test_backup_then_restore_brings_back_the_same_ranking(app, runner, world, db, tmp_path):
    _populate(world)
    before = _picture()
    assert before[0]["Response"] == 32 and any(row[1] for row in before[1])
    target = tmp_path / "copies" / "survey.backup"
    made = runner.invoke(args=["backup", "create", str(target)])
    assert made.exit_code == 0, made.output
    assert target.is_file() and target.stat().st_size > 0 and not list(tmp_path.glob("copies/*.partial"))

    # After the back-up: more answers, then a destroyed table.
    for h in households_of(world.k4)[8:14]:
        answer(world.campaign, h, value=5)
    assert _picture() != before
    db.session.execute(text("DELETE FROM answers"))
    db.session.commit()
    db.session.remove()

    refused = runner.invoke(args=["backup", "restore", str(target)], input="n\n")
    assert refused.exit_code != 0 and _picture()[0]["Answer"] == 0  # asked first; "n" changes nothing
    db.session.remove()
    restored = runner.invoke(args=["backup", "restore", "--yes", str(target)])
    assert restored.exit_code == 0, restored.output
    assert _picture() == before
    client = app.test_client()
    assert client.post("/login", data={"username": "city", "password": "pw-123456"}).status_code == 302
    assert "甲物业服务有限公司" in client.get("/office/ranking").get_data(as_text=True)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_backup_is_a_sound_database_taken_while_a_write_is_open(app, runner, world, db, tmp_path):
    _populate(world)
    path = app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM answers")  # not committed: the back-up must not see it
    made = runner.invoke(args=["backup", "create", str(tmp_path / "open.db")])
    writer.execute("ROLLBACK")
    writer.close()
    assert made.exit_code == 0, made.output
    with sqlite3.connect(tmp_path / "open.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM answers").fetchone()[0] > 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_restoring_a_file_that_is_not_a_database_is_refused_and_changes_nothing(app, runner, world, db, tmp_path):
    _populate(world)
    before = _picture()
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database" * 100)
    result = runner.invoke(args=["backup", "restore", "--yes", str(junk)])
    assert result.exit_code == 1 and "SQLite" in result.output
    assert _picture() == before


def test_postgresql_tools_get_the_password_from_the_environment_not_the_command_line():
    env = backup.pg_environment("postgresql+psycopg://survey:s3cret%40x@db.example:5433/survey?sslmode=require")
    assert env["PGPASSWORD"] == "s3cret@x" and env["PGHOST"] == "db.example" and env["PGPORT"] == "5433"
    assert env["PGUSER"] == "survey" and env["PGDATABASE"] == "survey" and env["PGSSLMODE"] == "require"
