"""A background label print on SQLite (one write lock for the whole database; PostgreSQL locks
rows): the labels are drawn before the job takes the lock, so residents answering meanwhile
never wait on a print."""
import sqlite3

import pytest
from sqlalchemy import func, select

from survey_app.domain.printing import labels as labels_pdf
from survey_app.models import HouseholdCode, Job


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"  # the lock under test is SQLite's


def _job(db) -> Job:
    return db.session.scalars(select(Job).order_by(Job.created_at.desc())).first()


def test_a_label_job_draws_without_holding_the_write_lock(app, client, world, login, db, monkeypatch):
    """While a street's labels are drawn, a resident's answer (another connection) can still write."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["JOB_LARGE_HOUSEHOLDS"] = 10
    seen, texts = [], labels_pdf.label_texts

    def drawing(row):
        if not seen:  # the first label: another connection tries to write, without waiting
            other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                seen.append("wrote")
            except sqlite3.OperationalError as e:
                seen.append(str(e))
            finally:
                other.close()
        return texts(row)
    monkeypatch.setattr(labels_pdf, "label_texts", drawing)
    login("street1")
    resp = client.post(f"/office/print/street/{world.s1.id}/pdf?campaign={world.campaign.id}", data={"layout": "3x7"})
    assert "/jobs/" in resp.headers["Location"]
    assert (_job(db).state, seen) == ("done", ["wrote"])
    assert db.session.scalar(select(func.count()).select_from(HouseholdCode)) == 80
