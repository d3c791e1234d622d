"""A label print draws its sheets before it takes SQLite's one write lock, and stores the codes in
one short write at the end: residents answering while a building's labels are drawn are not held
up, and the codes on the sheets are the ones stored."""
import sqlite3

import pytest
from sqlalchemy import func, select

from survey_app.domain.printing import labels as labels_pdf
from survey_app.domain.responses import codes as tokens
from survey_app.models import Building, HouseholdCode

from .pdfqr import read_pdf, tokens_of


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'labels.db'}"  # the lock in question is SQLite's


def test_the_write_lock_is_free_while_a_building_s_labels_are_drawn(client, world, login, db, tmp_path, monkeypatch):
    b = db.session.scalar(select(Building).where(Building.compound_id == world.k1.id))
    households = {h.id for h in b.households}
    draw_qr, seen = labels_pdf.qr_paths, []

    def drawing(urls):  # while the sheets are drawn, another connection asks for the write lock at once
        other = sqlite3.connect(tmp_path / "labels.db", timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append("free")
        except sqlite3.OperationalError as e:
            seen.append(str(e))
        finally:
            other.close()
        return draw_qr(urls)
    monkeypatch.setattr(labels_pdf, "qr_paths", drawing)
    login("street1")
    resp = client.post(f"/office/print/building/{b.id}/pdf?campaign={world.campaign.id}", data={"layout": "3x7"})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert seen and set(seen) == {"free"}
    found = tokens_of(read_pdf(resp.data)[0])
    codes = [tokens.find_code(t) for t in found]
    assert len(found) == 40 and all(c is not None and c.revoked_at is None for c in codes)
    assert {c.household_id for c in codes} == households
    assert db.session.scalar(select(func.count()).select_from(HouseholdCode)
                             .where(HouseholdCode.revoked_at.is_(None))) == 40
