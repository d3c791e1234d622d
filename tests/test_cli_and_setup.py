"""The demo city, migrations on both databases, and configuration."""
import logging
import os
import re

import openpyxl
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select

from survey_app import create_app
from survey_app.access import Area
from survey_app.config import ProductionConfig
from survey_app.domain.printing import qr
from survey_app.domain.responses import codes as tokens
from survey_app.domain.stats.reports import company_ranking
from survey_app.extensions import db as _db
from survey_app.logs import RedactCodes
from survey_app.models import (AuditEvent, Campaign, Compound, Household, RectificationEvent, RectificationItem, Response,
                               User)

from .conftest import make_config
from .factories import answer, households_of
from .sheets import header_row, table, title_block


def test_demo_city_loads_prints_logins_and_working_survey_urls(app, runner, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    for username in ("city", "district", "street", "grid", "company"):
        assert re.search(rf"^\s+{username}\s", out, re.M)
    assert "demo12345" in out
    urls = re.findall(r"http://survey\.test/s/([A-Za-z0-9_-]{22})", out)
    assert len(urls) == 3
    assert db.session.scalar(select(func.count()).select_from(Household)) == 8000
    assert db.session.scalar(select(func.count()).select_from(Compound)) == 30
    n = db.session.scalar(select(func.count()).select_from(Response))
    assert 1000 < n < 8000
    names = db.session.scalars(select(Compound.name).limit(5)).all()
    assert all(re.search(r"[\u4e00-\u9fff]", x) for x in names)
    assert db.session.scalar(select(func.count()).select_from(User)) == 5
    client = app.test_client()
    assert client.get(f"/s/{urls[0]}").status_code == 302
    assert "物业服务满意度调查" in client.get("/s/").data.decode()
    # Companies differ in quality: the ranking is not flat.
    ranking = company_ranking(db.session.scalar(select(Campaign)), Area("city"))
    means = [r.stats.mean for r in ranking.ranked]
    assert len(means) >= 4 and max(means) - min(means) > 10
    # The rectification loop has something to show in every state, each item with its history.
    states = dict(db.session.execute(select(RectificationItem.status, func.count())
                                     .group_by(RectificationItem.status)).all())
    assert set(states) == {"open", "assigned", "in_progress", "submitted", "returned", "verified", "closed"}, states
    events = db.session.scalar(select(func.count()).select_from(RectificationEvent))
    assert events > sum(states.values())
    assert ranking.unranked  # some compounds are kept far too low to rank
    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0 and "已有数据" in again.output
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0


def test_codes_sample_prints_working_urls_for_unanswered_households_of_the_first_street(app, runner, world, db):
    """`flask codes sample` (scripts/dev.sh runs it on every start): fresh codes for a few households
    of the first street that have not answered; run again, it re-issues only those and says so."""
    first = households_of(world.k1)
    answer(world.campaign, first[0])  # answered: never offered as a sample
    result = runner.invoke(args=["codes", "sample", "--count", "3"])
    assert result.exit_code == 0, result.output
    urls = re.findall(r"http://survey\.test/s/([A-Za-z0-9_-]{22})", result.output)
    assert len(urls) == 3 and "旧二维码已作废" not in result.output
    holders = [tokens.find_code(t).household_id for t in urls]
    assert holders == [h.id for h in first[1:4]]
    client = app.test_client()
    resp = client.get(f"/s/{urls[0]}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/")
    assert "金色花园" in client.get("/s/").data.decode()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "codes.demo")) == 1
    again = runner.invoke(args=["codes", "sample", "--count", "3"])
    assert again.exit_code == 0 and "这 3 户的旧二维码已作废" in again.output
    fresh = re.findall(r"http://survey\.test/s/([A-Za-z0-9_-]{22})", again.output)
    assert [tokens.find_code(t).household_id for t in fresh] == holders
    assert tokens.find_code(urls[1]) is None  # the old code no longer opens the survey
    assert app.test_client().get(f"/s/{fresh[1]}").status_code == 302


def test_cli_ranking_export_and_rectify(app, runner, db, tmp_path):
    assert runner.invoke(args=["demo"]).exit_code == 0
    out = tmp_path / "ranking.xlsx"
    res = runner.invoke(args=["ranking", "export", "--area", "city", "--out", str(out)])
    assert res.exit_code == 0, res.output
    ranking = openpyxl.load_workbook(out)["企业排名"]
    assert len(table(ranking, "名次")[1]) > 1  # companies under the header, itself under the title block
    assert "制表单位：全市" in title_block(ranking, header_row(ranking, "名次"))[-1]  # a command has no user
    res = runner.invoke(args=["rectify", "generate"])
    assert res.exit_code == 0 and "新生成整改事项" in res.output
    bad = runner.invoke(args=["ranking", "export", "--area", "nowhere", "--out", str(out)])
    assert bad.exit_code != 0


def _migrated_diff(url: str):
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        engine = create_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), _db.metadata)
        engine.dispose()
        _db.engine.dispose()
    return diff


def test_migrations_build_the_schema_of_the_models_on_sqlite(tmp_path):
    assert _migrated_diff(f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_migrations_build_the_schema_of_the_models_on_postgresql(pg_server):
    if pg_server is None:
        pytest.skip("TEST_POSTGRES_URL given; migration test needs its own database")
    assert _migrated_diff(pg_server.create_database("survey_migrations")) == []


def test_production_refuses_to_start_without_secrets(monkeypatch):
    for k in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(k, raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig()
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(RuntimeError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@localhost/db")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://wy.example.cn")
    cfg = ProductionConfig()
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@localhost/db"


def test_app_never_creates_tables_itself(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create_app(make_config(url))
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type='table'").scalar() == 0
    engine.dispose()


def test_survey_urls_fit_a_small_qr_code():
    token = tokens.new_token()
    assert len(token) == 22 and tokens.TOKEN_RE.match(token)
    assert qr.version(tokens.survey_url("https://wuye.zaozhuang.example.gov.cn", token)) <= 5
    assert len({tokens.new_token() for _ in range(1000)}) == 1000


def test_logs_never_carry_a_household_code():
    rec = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"%s" 302', ("GET /s/AbCdEfGhIjKlMnOpQrStUv HTTP/1.1",), None)
    RedactCodes().filter(rec)
    assert "AbCdEf" not in rec.getMessage() and "/s/[code]" in rec.getMessage()


del os
