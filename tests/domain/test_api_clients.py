"""API clients: a token shown once and stored hashed, scopes, revocation, last use and audit events."""
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from survey_app.access import Area
from survey_app.api import clients
from survey_app.domain import clock
from survey_app.errors import Conflict, Forbidden, Invalid, NotFound
from survey_app.models import ApiClient, AuditEvent, User


def _user(db, name):
    return db.session.scalar(select(User).where(User.username == name))


def test_the_token_is_returned_once_and_only_its_hash_is_stored(db, world):
    client, token = clients.create(_user(db, "city"), "市一网统管平台", Area("city"), can_write=False)
    db.session.commit()
    assert token.startswith("sv_") and len(token) == 46 and client.token_hint == token[:7]
    # The database holds nothing from which the token could be read back.
    dump = "\n".join(db.session.connection().connection.driver_connection.iterdump()) \
        if db.engine.dialect.name == "sqlite" else ""
    row = db.session.execute(text("SELECT * FROM api_clients")).one()
    assert all(token not in str(v) for v in row) and token not in dump
    assert bytes(row.token_hash) == clients.hash_token(token) != token.encode()
    assert clients.authenticate(token).id == client.id


def test_a_revoked_malformed_or_unknown_token_is_refused(db, world):
    city = _user(db, "city")
    client, token = clients.create(city, "热线", Area("district", world.east.id), can_write=True)
    db.session.commit()
    assert clients.authenticate(None) is None and clients.authenticate("") is None
    assert clients.authenticate(token[:-1]) is None and clients.authenticate(clients.new_token()) is None
    assert clients.authenticate("Bearer " + token) is None
    clients.revoke(city, client)
    db.session.commit()
    assert clients.authenticate(token) is None
    with pytest.raises(Conflict):
        clients.revoke(city, client)


def test_scopes_follow_the_area_and_a_street_client_carries_its_district(db, world):
    city = _user(db, "city")
    street, _t = clients.create(city, "街道平台", Area("street", world.s3.id), can_write=False)
    district, _t = clients.create(city, "区平台", Area("district", world.east.id), can_write=True)
    whole, _t = clients.create(city, "市平台", Area("city"), can_write=False)
    assert (street.level, street.district_id, street.street_id) == ("street", world.west.id, world.s3.id)
    assert street.area == Area("street", world.s3.id) and district.area == Area("district", world.east.id)
    assert whole.area == Area("city")
    with pytest.raises(NotFound):
        clients.create(city, "x", Area("street", 9999), can_write=False)
    with pytest.raises(Invalid):
        clients.create(city, "x", Area("street", world.s1.id, ("一网格",)), can_write=False)
    with pytest.raises(Invalid):
        clients.create(city, "  ", Area("city"), can_write=False)


@pytest.mark.parametrize("raw, stored", [("", None), ("  ", None), ("10 per minute", "10 per minute"),
                                         ("5/second; 1000/hour", "5/second; 1000/hour")])
def test_a_rate_limit_is_checked_as_flask_limiter_reads_it(db, world, raw, stored):
    client, _t = clients.create(_user(db, "city"), "平台", Area("city"), can_write=False, rate_limit=raw)
    assert client.rate_limit == stored


@pytest.mark.parametrize("raw", ["fast", "10 per fortnight", "-1/minute", "0 per second", ";", "x" * 200])
def test_a_bad_rate_limit_is_refused_with_a_message(db, world, raw):
    with pytest.raises(Invalid) as e:
        clients.create(_user(db, "city"), "平台", Area("city"), can_write=False, rate_limit=raw)
    assert "频率限制" in e.value.message


@pytest.mark.parametrize("username", ["district", "street1", "grid1", "company1"])
def test_only_city_admins_create_or_revoke_clients(db, world, username):
    client, _t = clients.create(_user(db, "city"), "平台", Area("city"), can_write=False)
    with pytest.raises(Forbidden):
        clients.create(_user(db, username), "平台", Area("city"), can_write=False)
    with pytest.raises(Forbidden):
        clients.revoke(_user(db, username), client)


def test_last_use_is_written_at_most_once_a_minute(db, world, monkeypatch):
    client, token = clients.create(_user(db, "city"), "平台", Area("city"), can_write=False)
    db.session.commit()
    assert client.last_used_at is None
    start = clock.now()
    monkeypatch.setattr(clients, "now", lambda: start)
    clients.authenticate(token)
    db.session.commit()
    assert db.session.get(ApiClient, client.id).last_used_at == start
    monkeypatch.setattr(clients, "now", lambda: start + timedelta(seconds=30))
    clients.authenticate(token)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiClient, client.id).last_used_at == start
    monkeypatch.setattr(clients, "now", lambda: start + timedelta(seconds=61))
    clients.authenticate(token)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiClient, client.id).last_used_at == start + timedelta(seconds=61)


def test_creating_and_revoking_are_audit_events_without_the_token(db, world):
    city = _user(db, "city")
    client, token = clients.create(city, "区平台", Area("street", world.s1.id), can_write=True)
    clients.revoke(city, client)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    created, revoked = [e for e in events if e.action.startswith("api_client.")]
    assert (created.action, created.actor, created.street_id, created.district_id) == (
        "api_client.created", "city", world.s1.id, world.east.id)
    assert '"can_write": true' in created.after and token not in created.after
    assert (revoked.action, revoked.target) == ("api_client.revoked", f"api_client:{client.id}")
