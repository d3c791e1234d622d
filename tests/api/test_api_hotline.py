"""POST /api/v1/hotline-cases: a work order becomes or joins a rectification item, once."""
from __future__ import annotations

from sqlalchemy import func, select

from survey_app.domain.rectification.rules import raise_inspection
from survey_app.models import AuditEvent, Campaign, RectificationEvent, RectificationItem, User

URL = "/api/v1/hotline-cases"


def _case(world, ref="GD20261130001", **over):
    body = {"work_order_id": ref, "compound_id": world.k1.id, "category": "other",
            "text": "电梯停了三天没人修，王经理不接电话，我的电话13812345678", "received_at": "2026-11-30T09:15:00+08:00"}
    body.update(over)
    return body


def _items(db) -> int:
    return db.session.scalar(select(func.count(RectificationItem.id)))


def test_a_work_order_becomes_a_hotline_item_once(api, db):
    first = api.writer.post(URL, json=_case(api.world))
    assert first.status_code == 201, first.data
    body = first.get_json()
    assert body["joined"] is False and body["work_order_id"] == "GD20261130001"
    item = db.session.get(RectificationItem, body["item"]["id"])
    assert item.source == "hotline" and item.external_ref == "GD20261130001" and item.status == "open"
    assert item.compound_id == api.world.k1.id and item.campaign_id == api.world.campaign.id
    assert "13812345678" not in item.description and "13812345678" not in item.evidence
    assert "王经理" not in item.description and "2026-11-30 09:15" in item.evidence
    assert item.events[0].actor == "api:12345 热线"
    again = api.writer.post(URL, json=_case(api.world, text="另一段文字"))
    assert again.status_code == 200 and again.get_json()["item"]["id"] == item.id
    assert _items(db) == 1
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api.request",
                                                        AuditEvent.target == f"POST {URL}")).all()
    assert [e.actor for e in logged] == ["api:12345 热线", "api:12345 热线"] and "status=201" in logged[0].detail
    listed = api.city.get(f"/api/v1/campaigns/{api.world.campaign.id}/rectification-items?source=hotline").get_json()
    assert [i["external_ref"] for i in listed["items"]] == ["GD20261130001"]


def test_a_work_order_joins_the_compounds_item_of_its_category(api, db):
    officer = db.session.scalar(select(User).where(User.username == "street1"))
    existing = raise_inspection(api.world.campaign, api.world.k1, "repair", "单元门禁损坏", officer)
    db.session.commit()
    resp = api.writer.post(URL, json=_case(api.world, ref="GD-2", category="repair"))
    assert resp.status_code == 201 and resp.get_json()["joined"] is True
    assert resp.get_json()["item"]["id"] == existing.id and resp.get_json()["item"]["source"] == "inspection"
    notes = db.session.scalars(select(RectificationEvent.note).where(RectificationEvent.item_id == existing.id)).all()
    assert any(n.startswith("12345 热线工单 GD-2（") and "13812345678" not in n for n in notes)
    again = api.writer.post(URL, json=_case(api.world, ref="GD-2", category="repair"))
    assert again.status_code == 200 and again.get_json()["item"]["id"] == existing.id
    assert _items(db) == 1 and len(notes) + 0 == len(db.session.scalars(
        select(RectificationEvent.id).where(RectificationEvent.item_id == existing.id)).all())


def test_refusals_are_problems(api, db):
    cases = [
        (api.writer, _case(api.world, compound_id=999999), 404),
        (api.s3_writer, _case(api.world), 403),  # 金色花园 is not in 龙山路街道
        (api.city, _case(api.world), 403),  # a read-only client
        (api.writer, _case(api.world, received_at="2026-11-30T09:15:00"), 422),  # no time zone
        (api.writer, _case(api.world, work_order_id="工单 1"), 422),
        (api.writer, {"compound_id": api.world.k1.id}, 422),
        (api.writer, _case(api.world, category="no-such-category"), 400),
        (api.writer, _case(api.world, text="   "), 400),
        (api.writer, _case(api.world, campaign_id=999999), 404),
    ]
    for caller, body, status in cases:
        resp = caller.post(URL, json=body)
        assert resp.status_code == status, (body, resp.data)
        problem = resp.get_json()
        assert resp.mimetype == "application/problem+json" and problem["status"] == status
        assert problem["title_zh"] and problem["title_en"] and problem["detail"]
    assert _items(db) == 0


def test_no_campaign_covering_the_compound_is_a_conflict(api, db):
    db.session.execute(Campaign.__table__.update().values(status="draft"))
    db.session.commit()
    resp = api.writer.post(URL, json=_case(api.world))
    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    assert _items(db) == 0


def test_a_work_order_id_of_another_scope_is_refused(api, db):
    assert api.writer.post(URL, json=_case(api.world, ref="GD-X")).status_code == 201
    resp = api.s3_writer.post(URL, json=_case(api.world, ref="GD-X", compound_id=api.world.k4.id))
    assert resp.status_code == 409 and _items(db) == 1
