"""Rules that hold everywhere: CSRF on every POST, no 500 on bad input, rate limits."""
import pytest

from survey_app import create_app

from ..conftest import make_config
from ..factories import households_of, issue



def test_every_post_endpoint_requires_a_csrf_token(world, db, db_url):
    app = create_app(make_config(db_url, WTF_CSRF_ENABLED=True))
    with app.app_context():
        c = app.test_client()
        from flask import url_for

        with app.test_request_context():
            posts = []
            for rule in app.url_map.iter_rules():
                if "POST" in rule.methods:
                    args = {name: sorted(getattr(conv, "items", None) or [1])[0]
                            for name, conv in rule._converters.items()}
                    posts.append(url_for(rule.endpoint, **args))
        assert len(posts) >= 8
        for path in posts:
            resp = c.post(path, data={"username": "city", "password": "pw-123456"})
            if path.startswith("/api/"):  # token, not cookie: no CSRF to forge, and no token is refused
                assert resp.status_code == 401, path
                assert resp.mimetype == "application/problem+json", path
                continue
            assert resp.status_code == 400, path
            assert "页面已过期" in resp.data.decode()


@pytest.mark.parametrize("username", [None, "city", "street1", "company1"])
def test_garbage_parameters_never_cause_a_server_error(app, world, login, client, username):
    if username:
        login(username)
    paths = ["/office/?campaign=abc", "/office/?campaign=999999", "/office/ranking?area=street:abc",
             "/office/ranking?area=district:99999", "/office/ranking?campaign=-1", "/office/ranking.xlsx?area=%00",
             "/office/compounds/999999", "/office/buildings/0", "/office/households/99999999999999999999",
             "/company/?campaign=1e9", "/rectification/?campaign=" + "9" * 400, "/s/" + "é" * 30,
             "/s/%ff%fe", "/login?next=//evil.example", "/nope"]
    for p in paths:
        resp = client.get(p)
        assert resp.status_code < 500, p
    for p in ["/rectification/999/act", "/rectification/assign", "/rectification/new", "/s/", "/login"]:
        assert client.post(p, data={"status": "x" * 10000, "q1": "\x00"}).status_code < 500, p


def test_survey_pages_are_not_cached_and_send_no_referrer(client, world):
    token = issue(world.campaign, households_of(world.k1)[0])
    client.get(f"/s/{token}")
    resp = client.get("/s/")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
