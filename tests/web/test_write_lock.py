"""On SQLite, requests hold the database's one write lock only while they write, so residents
answering are not held up by anything slower.

A survey submission reads its visit and checks its form first (a refused form never asks for the
lock), and what it read stays loaded, so under the lock it reads again only what must be current
(the response it changes, whether the campaign is closed); its writes are kept as before. A staff
login checks the password's slow hash before it takes the lock (a failed one never takes it), and
a new password (one's own, or reset by an administrator) is checked and hashed before it."""
import pytest
from sqlalchemy import func, select

from survey_app.database import begin_write
from survey_app.models import Campaign, Household, Response, User

from ..factories import form_for, households_of, issue, sqlite_write_lock, watching_statements


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'lock.db'}"  # the write lock is SQLite's (PostgreSQL locks rows)


def _statements(request) -> tuple[object, list[str]]:
    """Run `request` and list its statements, in order."""
    log: list[str] = []
    return watching_statements(request, lambda _conn, statement: log.append(" ".join(statement.split()))), log


def _reads_visit(statement: str) -> bool:
    return statement.startswith("SELECT") and "FROM household_codes" in statement


@pytest.mark.parametrize("answered_before", [False, True], ids=["first answer", "change"])
def test_a_submission_reads_its_visit_before_taking_the_write_lock(client, world, db, answered_before):
    household = households_of(world.k1)[0].id
    form = form_for(world.campaign, "5")
    assert client.get(f"/s/{issue(world.campaign, db.session.get(Household, household))}").status_code == 302
    if answered_before:
        assert client.post("/s/", data=form_for(world.campaign, "2")).status_code == 302
    resp, log = _statements(lambda: client.post("/s/", data=form))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/s/thanks")
    lock = log.index("BEGIN IMMEDIATE")
    assert [i for i, s in enumerate(log) if _reads_visit(s)] and all(
        i < lock for i, s in enumerate(log) if _reads_visit(s))
    under_lock = log[lock:]
    # nothing the visit loaded is read again: not the code, household, compound or company
    assert not [s for s in under_lock if s.startswith("SELECT") and any(
        f"FROM {t} " in s + " " for t in ("household_codes", "households", "compounds", "companies"))]
    written = "UPDATE responses" if answered_before else "INSERT INTO responses"
    assert any(s.startswith(written) for s in under_lock)
    stored = db.session.scalars(select(Response).where(Response.household_id == household)).all()
    assert len(stored) == 1 and {a.value for a in stored[0].answers if a.value is not None} == {5}


def test_a_refused_form_never_asks_for_the_write_lock(client, world, db):
    campaign_id = world.campaign.id
    assert client.get(f"/s/{issue(world.campaign, households_of(world.k1)[0])}").status_code == 302
    resp, log = _statements(lambda: client.post("/s/", data={"q1": "9"}))
    assert resp.status_code == 422 and "答案无效" in resp.data.decode()
    assert "BEGIN IMMEDIATE" not in log
    assert db.session.scalar(select(func.count()).select_from(Response)
                             .where(Response.campaign_id == campaign_id)) == 0


def test_a_campaign_closed_between_the_read_and_the_write_is_refused(client, world, db, monkeypatch):
    """The visit said open; another request closed the campaign before the lock: nothing is saved."""
    household = households_of(world.k1)[0]
    campaign_id, household_id = world.campaign.id, household.id
    form = form_for(world.campaign, "4")
    assert client.get(f"/s/{issue(world.campaign, household)}").status_code == 302
    import survey_app.web.resident as resident

    def close_then_lock(**kwargs):
        db.session.execute(Campaign.__table__.update().where(Campaign.__table__.c.id == campaign_id)
                           .values(status="closed"))  # as another connection would, committed before our turn
        db.session.commit()
        begin_write(**kwargs)
    monkeypatch.setattr(resident, "begin_write", close_then_lock)
    resp = client.post("/s/", data=form)
    assert resp.status_code in (403, 409, 410) and "已结束" in resp.data.decode()
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Response)
                             .where(Response.household_id == household_id)) == 0


def test_begin_write_keeps_or_reloads_what_was_read(app, world, db):
    household = db.session.get(Household, households_of(world.k1)[0].id)
    begin_write(keep_loaded=True)
    assert "room" in household.__dict__  # still loaded: no query when used
    db.session.rollback()
    household = db.session.get(Household, household.id)
    begin_write()
    assert "room" not in household.__dict__  # expired: read again, under the lock, when used


@pytest.mark.parametrize("password", ["pw-123456", "wrong-password"], ids=["right", "wrong"])
def test_a_login_checks_the_password_before_taking_the_write_lock(app, client, world, db, tmp_path, monkeypatch,
                                                                  password):
    from survey_app.models import users as user_model
    check, seen = user_model.check_password_hash, []

    def checking(stored, given):
        seen.append(sqlite_write_lock(tmp_path / "lock.db"))
        return check(stored, given)
    monkeypatch.setattr(user_model, "check_password_hash", checking)
    resp = client.post("/login", data={"username": "street1", "password": password})
    assert seen == ["free"]
    assert resp.status_code == (302 if password == "pw-123456" else 401)
    db.session.remove()
    street1 = db.session.scalar(select(User).where(User.username == "street1"))
    assert (street1.last_login_at is not None) == (password == "pw-123456")  # the login is still recorded


@pytest.mark.parametrize("who", ["own", "admin", "new account"])
def test_a_new_password_is_hashed_before_the_write_lock_is_taken(app, client, world, db, login, tmp_path,
                                                                 monkeypatch, who):
    from survey_app.domain import users as accounts
    make, seen = accounts.generate_password_hash, []

    def hashing(password):
        seen.append(sqlite_write_lock(tmp_path / "lock.db"))
        return make(password)
    monkeypatch.setattr(accounts, "generate_password_hash", hashing)
    grid1 = db.session.scalar(select(User).where(User.username == "grid1")).id
    if who == "own":
        login("grid1")
        resp = client.post("/account/password", data={"current": "pw-123456", "new": "Orchid+Kettle-731",
                                                      "again": "Orchid+Kettle-731"})
    elif who == "admin":
        login("city")
        resp = client.post(f"/office/users/{grid1}/password", data={"password": "Orchid+Kettle-731"})
    else:
        login("street1")
        resp = client.post("/office/users/new", data={"username": "gw-new", "display_name": "新网格员", "role": "grid",
                                                      "street_id": world.s1.id, "password": "Orchid+Kettle-731"})
    assert resp.status_code == 302 and seen and set(seen) == {"free"}  # (a login may hash once more, for its timing)
    db.session.remove()
    stored = db.session.scalar(select(User).where(User.username == ("gw-new" if who == "new account" else "grid1")))
    assert stored.check_password("Orchid+Kettle-731")  # and it is stored
