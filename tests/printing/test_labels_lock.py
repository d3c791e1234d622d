"""A label print on SQLite (one write lock for the whole database; PostgreSQL locks rows), drawn in
the request or by a job, and the command line's list of survey addresses: the sheets (or rows) are
written with codes made in memory before the print takes the lock, and the codes are stored in one
short write at the end, so residents answering meanwhile never wait on a print, and the codes on
the sheets are the ones stored."""
import pytest
from sqlalchemy import func, select

from survey_app.domain.printing import labels as labels_pdf
from survey_app.domain.responses import codes as tokens
from survey_app.domain.xlsx import codes as codes_workbook
from survey_app.models import HouseholdCode, Job

from ..factories import sqlite_write_lock
from .pdfqr import read_pdf, tokens_of


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'labels.db'}"  # the lock in question is SQLite's


@pytest.mark.parametrize("by", ["request", "job"])
def test_the_write_lock_is_free_while_labels_are_drawn(app, client, world, login, db, tmp_path, monkeypatch, by):
    """While a street's labels are drawn, a resident's answer (another connection) can still write."""
    if by == "job":
        app.config["JOB_LARGE_HOUSEHOLDS"] = 10
    seen, texts = [], labels_pdf.label_texts

    def drawing(row):
        if not seen:  # the first label: another connection asks for the write lock, without waiting
            seen.append(sqlite_write_lock(tmp_path / "labels.db"))
        return texts(row)
    monkeypatch.setattr(labels_pdf, "label_texts", drawing)
    login("street1")
    resp = client.post(f"/office/print/street/{world.s1.id}/pdf?campaign={world.campaign.id}", data={"layout": "3x7"})
    assert seen == ["free"]
    if by == "job":
        assert "/jobs/" in resp.headers["Location"]
        job = db.session.scalars(select(Job).order_by(Job.created_at.desc())).first()
        assert job.state == "done"
    else:
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        found = tokens_of(read_pdf(resp.data)[0])
        codes = [tokens.find_code(t) for t in found]
        assert len(found) == 80 and all(c is not None and c.revoked_at is None for c in codes)
    assert db.session.scalar(select(func.count()).select_from(HouseholdCode)
                             .where(HouseholdCode.revoked_at.is_(None))) == 80


def test_the_write_lock_is_free_while_the_command_line_writes_a_list_of_survey_addresses(
        runner, world, db, tmp_path, monkeypatch):
    seen, suffixed = [], codes_workbook.suffixed

    def writing(*args):  # a row's address is written: another connection asks for the write lock
        if not seen:
            seen.append(sqlite_write_lock(tmp_path / "labels.db"))
        return suffixed(*args)
    monkeypatch.setattr(codes_workbook, "suffixed", writing)
    out = tmp_path / "codes.xlsx"
    result = runner.invoke(args=["codes", "export", "--campaign", str(world.campaign.id), "--street", "文化路街道",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert seen == ["free"] and out.exists()
    assert db.session.scalar(select(func.count()).select_from(HouseholdCode)
                             .where(HouseholdCode.revoked_at.is_(None))) == 80
