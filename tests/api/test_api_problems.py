"""Every error under /api/ is RFC 9457 problem details with Chinese and English titles; pages
outside /api/ keep their HTML error pages."""
from __future__ import annotations

import pytest

from survey_app import create_app
from survey_app.access import Area
from survey_app.api import reads
from survey_app.extensions import db as _db

from ..conftest import make_config
from ..factories import build_world

from .conftest import ApiCaller, make_token

KEYS = {"type", "title", "title_zh", "title_en", "status", "detail"}


def _is_problem(resp, status):
    assert resp.status_code == status, resp.data
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert KEYS <= set(body) and body["status"] == status
    assert body["type"].startswith("/api/v1/docs#problem-") and body["title"] == body["title_zh"]
    assert body["title_en"].isascii() and not body["title_zh"].isascii()
    return body


def test_each_error_is_a_problem(api, client):
    c = api.world.campaign.id
    _is_problem(api.city.get("/api/v1/campaigns?limit=5000"), 400)
    _is_problem(client.get("/api/v1/campaigns"), 401)
    _is_problem(api.east.get(f"/api/v1/campaigns/{c}/rankings?area=city"), 403)
    _is_problem(api.city.get("/api/v1/campaigns/999999"), 404)
    _is_problem(api.city.get("/api/v1/no-such-thing"), 404)
    _is_problem(api.city.client.delete(f"/api/v1/campaigns/{c}", headers={"Authorization": f"Bearer {api.city.token}"}), 405)
    _is_problem(api.writer.post("/api/v1/hotline-cases", json={"compound_id": "x"}), 422)
    body = _is_problem(api.city.get("/api/v1/campaigns?limit=abc&offset=-2"), 400)
    assert set(body["errors"]) == {"limit", "offset"}


def test_each_invalid_parameter_is_explained_in_the_request_s_language(api):
    bad = "/api/v1/campaigns?limit=abc&offset=-2"
    assert _is_problem(api.city.get(bad), 400)["errors"] == {"limit": ["须为整数。"],
                                                             "offset": ["须在 0 到 2147483647 之间。"]}
    english = _is_problem(api.city.get(bad, headers={"Accept-Language": "en"}), 400)
    assert english["errors"] == {"limit": ["Must be a whole number."],
                                 "offset": ["Must be between 0 and 2147483647."]}
    c = api.world.campaign.id
    assert _is_problem(api.city.get(f"/api/v1/campaigns/{c}/rankings?area=town"), 400)["errors"] == {
        "area": ["须为 city、district:编号 或 street:编号。"]}
    body = _is_problem(api.writer.post("/api/v1/hotline-cases", json={
        "work_order_id": "工单 1", "compound_id": "x", "category": "", "received_at": "yesterday"}), 422)
    assert body["errors"] == {"work_order_id": ["须为 1-64 个字母、数字或 _.:-，以字母或数字开头。"],
                              "compound_id": ["须为整数。"], "category": ["长度须为 1 到 40 个字符。"],
                              "text": ["缺少必填项。"],
                              "received_at": ["须为 ISO 8601 时间，例如 2026-11-30T18:30:00+08:00。"]}
    english = _is_problem(api.writer.post("/api/v1/hotline-cases", json=[1], headers={"Accept-Language": "en"}), 422)
    assert english["errors"] == {"_schema": ["The body must be a JSON object."]}
    assert all(not m.isascii() for m in _is_problem(api.writer.post("/api/v1/hotline-cases", json=[1]), 422)
               ["errors"]["_schema"])


def test_the_english_detail_when_asked(api):
    resp = api.city.get("/api/v1/campaigns/999999", headers={"Accept-Language": "en-US,en;q=0.9"})
    body = _is_problem(resp, 404)
    assert body["title_en"] == "Not found" and body["title_zh"] == "不存在"
    assert body["detail"].isascii() and body["detail"]  # detail follows Accept-Language
    chinese = _is_problem(api.city.get("/api/v1/campaigns/999999", headers={"Accept-Language": "zh-CN,en;q=0.5"}), 404)
    assert not chinese["detail"].isascii()
    assert not _is_problem(api.city.get("/api/v1/campaigns/999999"), 404)["detail"].isascii()  # Chinese first


def test_a_conflict_is_a_problem(api, db):
    assert api.writer.post("/api/v1/hotline-cases", json={
        "work_order_id": "W-1", "compound_id": api.world.k1.id, "category": "other", "text": "垃圾没人清",
        "received_at": "2026-11-30T01:00:00Z"}).status_code == 201
    _is_problem(api.s3_writer.post("/api/v1/hotline-cases", json={
        "work_order_id": "W-1", "compound_id": api.world.k4.id, "category": "other", "text": "垃圾没人清",
        "received_at": "2026-11-30T01:00:00Z"}), 409)


def test_too_many_requests_is_a_problem_with_retry_after(tmp_path):
    limited = create_app(make_config(f"sqlite:///{tmp_path / 'limits.db'}", RATELIMIT_ENABLED=True,
                                     RATELIMIT_KEY_PREFIX=f"api-problems-{tmp_path.name}"))
    with limited.app_context():
        _db.create_all()
        build_world()
        caller = ApiCaller(limited.test_client(), make_token(Area("city"), name="限速客户端", rate_limit="2 per minute"))
        for _ in range(2):
            assert caller.get("/api/v1/campaigns").status_code == 200
        resp = caller.get("/api/v1/campaigns")
        _is_problem(resp, 429)
        assert int(resp.headers["Retry-After"]) >= 1
        _db.session.remove()
        _db.engine.dispose()


def test_a_server_error_is_a_problem(api, app, monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(reads, "company_ranking", broken)
    monkeypatch.setattr(app, "testing", False)
    body = _is_problem(api.city.get(f"/api/v1/campaigns/{api.world.campaign.id}/rankings"), 500)
    assert "boom" not in body["detail"]


@pytest.mark.parametrize("path", ["/office/no-such-page", "/office/overview/compound/999999"])
def test_pages_outside_the_api_keep_html_errors(client, login, world, path):
    login("city")
    resp = client.get(path)
    assert resp.status_code == 404 and resp.mimetype == "text/html"
