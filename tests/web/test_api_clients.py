"""API clients over HTTP: bearer tokens (401), write rights (403), a rate limit per client (429),
the time of last use and one audit line per request; and the city admin's pages that create
clients, show a token once and revoke it."""
import re

import pytest
from flask import Blueprint, g, jsonify
from sqlalchemy import select

from survey_app import create_app
from survey_app.access import Area
from survey_app.api import clients
from survey_app.api.auth import init_api
from survey_app.extensions import db, limiter
from survey_app.models import ApiClient, AuditEvent, User

from ..conftest import make_config
from ..factories import build_world

# A stand-in for the API's endpoints: the authentication under test is what they all stand on.
probe = Blueprint("api_probe", __name__, url_prefix="/api/probe")
init_api(probe)


@probe.get("/")
def probe_read():
    return jsonify(client=g.api_client.name)


@probe.post("/")
def probe_write():
    return jsonify(written=True), 201


def _with_probe(app):
    app.register_blueprint(probe)
    return app


def _client_of(level="city", ident=None, can_write=False, rate_limit=None, name="市平台"):
    city = db.session.scalar(select(User).where(User.username == "city"))
    client, token = clients.create(city, name, Area(level, ident), can_write=can_write, rate_limit=rate_limit)
    db.session.commit()
    return client, token


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _api_lines():
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.category == "api").order_by(AuditEvent.id)).all()


@pytest.fixture
def api(app, world):
    _with_probe(app)
    return app.test_client()


def test_a_valid_token_reads_and_every_request_is_one_audit_line(api, app):
    client, token = _client_of(name="一网统管")
    resp = api.get("/api/probe/", headers=_bearer(token))
    assert resp.status_code == 200 and resp.json == {"client": "一网统管"}
    assert "Set-Cookie" not in resp.headers  # no session, no login
    [line] = _api_lines()
    assert (line.action, line.actor, line.target, line.detail, line.user_id) == (
        "api.request", "api:一网统管", "GET /api/probe/", f"client={client.id} status=200", None)
    assert db.session.get(ApiClient, client.id).last_used_at is not None


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer sv_short", "Basic dXNlcjpwdw==",
                                    "Bearer sv_" + "A" * 43])
def test_no_or_an_unknown_token_is_401_with_a_chinese_message(api, header):
    resp = api.get("/api/probe/", headers={"Authorization": header} if header is not None else {})
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert resp.mimetype == "application/problem+json" and "令牌" in resp.json["detail"]
    assert _api_lines() == []  # no client, no API line (a throttled security event instead)


def test_a_revoked_token_is_refused(api):
    client, token = _client_of()
    assert api.get("/api/probe/", headers=_bearer(token)).status_code == 200
    clients.revoke(db.session.scalar(select(User).where(User.username == "city")), db.session.get(ApiClient, client.id))
    db.session.commit()
    assert api.get("/api/probe/", headers=_bearer(token)).status_code == 401


def test_a_read_only_client_may_not_write_and_a_writer_may(api):
    _reader, read_token = _client_of(name="只读")
    _writer, write_token = _client_of(can_write=True, name="热线")
    refused = api.post("/api/probe/", headers=_bearer(read_token), json={})
    assert refused.status_code == 403 and "读取" in refused.json["detail"]
    # No CSRF token is asked for: the API authenticates by its bearer token, not a cookie.
    assert api.post("/api/probe/", headers=_bearer(write_token), json={}).status_code == 201
    assert [(line.actor, line.target, line.detail.split()[-1]) for line in _api_lines()] == [
        ("api:只读", "POST /api/probe/", "status=403"), ("api:热线", "POST /api/probe/", "status=201")]


def test_csrf_protection_does_not_apply_to_the_api(tmp_path):
    app = _with_probe(create_app(make_config(f"sqlite:///{tmp_path / 'csrf.db'}", WTF_CSRF_ENABLED=True)))
    with app.app_context():
        db.create_all()
        build_world()
        _writer, token = _client_of(can_write=True)
        assert app.test_client().post("/api/probe/", headers=_bearer(token), json={}).status_code == 201
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def limited(tmp_path, ratelimit_storage):
    """An app with rate limits on (tests have them off), a world, and the limit storage empty."""
    app = _with_probe(create_app(make_config(f"sqlite:///{tmp_path / 'limits.db'}", RATELIMIT_ENABLED=True,
                                             RATELIMIT_STORAGE_URI=ratelimit_storage, API_RATE_LIMIT="4 per minute")))
    with app.app_context():
        db.create_all()
        build_world()
        limiter.reset()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_each_client_has_its_own_budget(limited):
    api = limited.test_client()
    _a, first = _client_of(rate_limit="3 per minute", name="甲")
    _b, second = _client_of(rate_limit="3 per minute", name="乙")
    assert [api.get("/api/probe/", headers=_bearer(first)).status_code for _ in range(3)] == [200] * 3
    blocked = api.get("/api/probe/", headers=_bearer(first))
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    # The same address, another client: a budget of its own.
    assert [api.get("/api/probe/", headers=_bearer(second)).status_code for _ in range(3)] == [200] * 3
    # A client without a limit of its own has the API_RATE_LIMIT setting's (4 per minute here).
    _c, third = _client_of(name="丙")
    assert [api.get("/api/probe/", headers=_bearer(third)).status_code for _ in range(5)] == [200] * 4 + [429]
    assert [line.detail.split()[-1] for line in _api_lines() if line.actor == "api:甲"] == ["status=200"] * 3 + [
        "status=429"]


def test_a_client_is_counted_alone_from_every_address(limited):
    _a, token = _client_of(rate_limit="2 per minute")
    near, far = limited.test_client(), limited.test_client()
    near.environ_base["REMOTE_ADDR"], far.environ_base["REMOTE_ADDR"] = "198.51.100.7", "203.0.113.9"
    assert near.get("/api/probe/", headers=_bearer(token)).status_code == 200
    assert far.get("/api/probe/", headers=_bearer(token)).status_code == 200
    assert far.get("/api/probe/", headers=_bearer(token)).status_code == 429
    assert near.get("/api/probe/", headers=_bearer(token)).status_code == 429


# ---------------------------------------------------------------- the admin pages

def _created(client, world, **form):
    data = {"name": "市一网统管平台", "scope": f"district:{world.east.id}", "rights": "read", "rate_limit": ""}
    data.update(form)
    return client.post("/office/api-clients/new", data=data)


def test_a_city_admin_creates_a_client_and_sees_its_token_once(app, world, login):
    _with_probe(app)
    client = login("city")
    assert "接口客户端" in client.get("/office/api-clients/").get_data(as_text=True)  # the list, empty
    page = client.get("/office/api-clients/new").get_data(as_text=True)
    assert "东城区" in page and "文化路街道" in page and "600 per minute" in page
    resp = _created(client, world, rights="write", rate_limit="100 per minute")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    text = resp.get_data(as_text=True)
    [token] = set(re.findall(r"sv_[A-Za-z0-9_-]{43}", text))
    assert "只显示这一次" in text
    made = db.session.scalar(select(ApiClient))
    assert (made.name, made.level, made.district_id, made.can_write, made.rate_limit) == (
        "市一网统管平台", "district", world.east.id, True, "100 per minute")
    assert bytes(made.token_hash) == clients.hash_token(token)
    # The list names it by the token's first characters only; no page shows the token again.
    listing = client.get("/office/api-clients/").get_data(as_text=True)
    assert "市一网统管平台" in listing and token[:7] in listing and token not in listing and "读写" in listing
    assert token not in client.get(f"/office/api-clients/{made.id}/revoke").get_data(as_text=True)
    assert app.test_client().get("/api/probe/", headers=_bearer(token)).status_code == 200


@pytest.mark.parametrize("limit", ["fast", "10 per fortnight", "0 per minute"])
def test_a_bad_rate_limit_is_a_clear_400(app, world, login, limit):
    resp = _created(login("city"), world, rate_limit=limit)
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert "频率限制" in text and "600 per minute" in text and not re.search(r"sv_[A-Za-z0-9_-]{43}", text)
    assert db.session.scalar(select(ApiClient)) is None


@pytest.mark.parametrize("form", [{"name": ""}, {"scope": "street:999999"}, {"scope": "compound:1"},
                                  {"rights": "admin"}])
def test_a_bad_form_is_refused_with_a_message(world, login, form):
    resp = _created(login("city"), world, **form)
    assert resp.status_code == 400 and 'class="flash error"' in resp.get_data(as_text=True)
    assert db.session.scalar(select(ApiClient)) is None


def test_revoking_asks_to_confirm_and_then_the_token_is_refused(app, world, login):
    _with_probe(app)
    made, token = _client_of()
    client = login("city")
    form = client.get(f"/office/api-clients/{made.id}/revoke").get_data(as_text=True)
    assert re.search(r'<input type="checkbox" name="confirm" value="yes" required>', form)
    assert client.post(f"/office/api-clients/{made.id}/revoke").status_code == 400
    assert app.test_client().get("/api/probe/", headers=_bearer(token)).status_code == 200
    resp = client.post(f"/office/api-clients/{made.id}/revoke", data={"confirm": "yes"})
    assert resp.status_code == 302
    assert app.test_client().get("/api/probe/", headers=_bearer(token)).status_code == 401
    assert "已吊销" in client.get("/office/api-clients/").get_data(as_text=True)
    assert client.get(f"/office/api-clients/{made.id + 1}/revoke").status_code == 404


@pytest.mark.parametrize("username", ["district", "street1", "grid1", "company1"])
def test_other_roles_cannot_see_or_use_the_pages(app, world, login, username):
    made, _token = _client_of()
    client = login(username)
    for url in ("/office/api-clients/", "/office/api-clients/new", f"/office/api-clients/{made.id}/revoke"):
        assert client.get(url).status_code == 403, url
    assert _created(client, world).status_code == 403
    assert client.post(f"/office/api-clients/{made.id}/revoke", data={"confirm": "yes"}).status_code == 403
    assert db.session.scalar(select(ApiClient).where(ApiClient.revoked_at.is_not(None))) is None
    assert db.session.scalar(select(ApiClient).where(ApiClient.id != made.id)) is None
    assert "/office/api-clients/" not in client.get("/office/participation" if username != "company1"
                                                    else "/company/").get_data(as_text=True)


def test_the_staff_menu_links_the_pages_for_city_admins(world, login):
    assert 'href="/office/api-clients/"' in login("city").get("/office/participation").get_data(as_text=True)
