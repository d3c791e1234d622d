"""The review queue: held responses by cluster, signals only, the officer's decision and its audit.

A world with held responses flagged in two clusters in two streets: one device answering for three
households of 金色花园 (文化路街道) and a burst in 御景华庭 (龙山路街道), beside published ones.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from survey_app.domain.integrity import review
from survey_app.domain.integrity.combine import Flag
from survey_app.domain.responses import codes as tokens, totals
from survey_app.domain.responses.survey import dimension_specs
from survey_app.errors import Refusal
from survey_app.extensions import db
from survey_app.models import AuditEvent, HouseholdCode, Response, User
from survey_app.models.integrity import ResponseSignal
from survey_app.models.totals import DimensionTotal

from ..factories import answer, households_of
from .test_hostile_input import HOSTILE, MARKUP

DEVICE = Flag("device", {"households": 3}, "device:1a2b3c4d", True)
BURST = Flag("burst", {"minutes": 30, "count": 9, "ratio": 12.0}, "burst:99:2026-05-01T19:30", True)
SPEED = Flag("speed", {"seconds": 20, "median": 300, "share": 0.07}, "speed", True)
SECRET = "只有复核人不该看到的意见"


def _hold(campaign, resp, flags, device=None):
    """Hold a response with these flags, as a scan would."""
    resp = db.session.get(Response, resp.id)
    totals.set_status(resp, "held", dimension_specs(campaign))
    signal = db.session.get(ResponseSignal, resp.id)
    signal.flags = [f.to_dict() for f in flags]
    if device is not None:
        signal.device_hash = device
    db.session.commit()
    return resp


@pytest.fixture
def queue_world(world):
    """金色花园: 6 published, 3 held on one device (one also too fast); 御景华庭: 5 published, 2 held
    in a burst. Tokens of the held households are kept to try them after a rejection."""
    c = world.campaign
    k1, k4 = households_of(world.k1), households_of(world.k4)
    for h in k1[:6]:
        answer(c, h, 4)
    for h in k4[:5]:
        answer(c, h, 4)
    held, held_tokens = {"device": [], "burst": []}, {}
    for i, h in enumerate(k1[6:9]):
        resp = answer(c, h, 1, comment=SECRET)
        flags = [DEVICE, SPEED] if i == 0 else [DEVICE]
        held["device"].append(_hold(c, resp, flags, device=bytes.fromhex("abcdef12") * 8).id)
    for h in k4[5:7]:
        resp = answer(c, h, 2, comment=SECRET)
        held["burst"].append(_hold(c, resp, [BURST]).id)
    for rid in held["device"] + held["burst"]:
        resp = db.session.get(Response, rid)
        held_tokens[rid] = tokens.issue_codes(c.id, [resp.household_id])[resp.household_id]
    db.session.commit()
    return world, held, held_tokens


def _n(status, compound_id):
    """Published (or held) responses counted in the maintained totals of a compound (first dimension)."""
    dim = db.session.scalar(select(func.min(DimensionTotal.dimension_id)))
    return db.session.scalar(select(func.coalesce(func.sum(DimensionTotal.n), 0)).where(
        DimensionTotal.status == status, DimensionTotal.compound_id == compound_id,
        DimensionTotal.dimension_id == dim))


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_a_street_officer_sees_their_streets_clusters_by_signals_only(queue_world, login):
    world, held, _tokens = queue_world
    client = login("street1")
    page = client.get(f"/office/review?campaign={world.campaign.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "同一设备" in text and "同一设备为 3 户作答" in text and "金色花园" in text
    assert "甲物业服务有限公司" in text
    assert "御景华庭" not in text and "本小区有 9 户作答" not in text  # the other street's cluster
    assert text.count('name="response"') == 3
    for rid in held["device"]:
        assert f'value="{rid}"' in text
    assert "abcdef" in text  # the device as a short tag, the same for the three
    assert "作答用时" in text  # the too-fast flag's reason on its row, under the device cluster
    # Never the household: no building, room, label, household id, code, and no comment.
    assert SECRET not in text and "1号楼" not in text and "单元" not in text.replace("单元格", "")
    for rid in held["device"]:
        h = db.session.get(Response, rid).household
        assert h.label not in text and f"{h.room}室" not in text
        assert f"household:{h.id}" not in text and f"/households/{h.id}" not in text
    # The nav link says how many wait in the officer's view.
    assert re.search(r"答卷复核 \(3\)", text)


def test_the_city_sees_both_clusters_and_filters_by_kind(queue_world, login):
    world, held, _tokens = queue_world
    client = login("city")
    text = client.get(f"/office/review?campaign={world.campaign.id}").get_data(as_text=True)
    assert "金色花园" in text and "御景华庭" in text and text.count('name="response"') == 5
    assert "同一设备 1 组 3 份" in text and "集中作答 1 组 2 份" in text
    text = client.get(f"/office/review?campaign={world.campaign.id}&kind=burst").get_data(as_text=True)
    assert "御景华庭" in text and text.count('name="response"') == 2
    text = client.get(f"/office/review?campaign={world.campaign.id}&area=street:{world.s3.id}").get_data(as_text=True)
    assert "御景华庭" in text and "金色花园" not in text


def test_small_compounds_are_listed_without_the_overall_answer(queue_world, login):
    """御景华庭 has 7 responses: listed with overall answers; a compound with 2 shows only the index."""
    world, _held, _tokens = queue_world
    c = world.campaign
    hs = households_of(world.k3)
    for h in hs[:2]:
        _hold(c, answer(c, h, 3), [SPEED])
    q = review.queue(c, review.Area("street", world.s2.id), review.Filters())
    [cluster] = q.clusters
    assert cluster.kind == "speed" and cluster.count == 2
    assert all(i.small and i.overall is None and i.score is not None for i in cluster.items)
    q = review.queue(c, review.Area("street", world.s1.id), review.Filters())
    assert all(not i.small and i.overall == 1 for i in q.clusters[0].items)


def test_accept_publishes_and_is_audited(queue_world, login):
    world, held, _tokens = queue_world
    client = login("street1")
    before = _n("published", world.k1.id)
    resp = client.post(f"/office/review/decide?campaign={world.campaign.id}",
                       data={"response": held["device"][:2], "decision": "accept", "note": "已电话核实"})
    assert resp.status_code == 302
    assert "已采纳 2 份答卷" in client.get(resp.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    for rid in held["device"][:2]:
        assert db.session.get(Response, rid).status == "published"
        signal = db.session.get(ResponseSignal, rid)
        assert signal.decision == "accepted" and signal.decided_at is not None
        assert signal.decided_by_id == db.session.scalar(select(User.id).where(User.username == "street1"))
    assert db.session.get(Response, held["device"][2]).status == "held"
    assert _n("published", world.k1.id) == before + 2  # the figures include them now
    assert _n("held", world.k1.id) == 1
    [event] = _events("response.accepted")
    assert event.actor == "street1" and event.street_id == world.s1.id
    assert "采纳 2 份" in event.detail and "同一设备" in event.detail and "已电话核实" in event.detail
    for rid in held["device"][:2]:
        h = db.session.get(Response, rid).household
        assert h.label not in event.detail and str(h.id) not in (event.detail + event.target)


def test_reject_keeps_the_response_uncounted_revokes_the_code_and_the_household_is_pending(
        queue_world, login, client, app):
    world, held, held_tokens = queue_world
    login("street1")
    resident = app.test_client()
    rid = held["device"][0]
    household = db.session.get(Response, rid).household
    token = held_tokens[rid]
    assert resident.get(f"/s/{token}").status_code in (200, 302)
    before = _n("published", world.k1.id)
    visits = client.get(f"/office/visits?campaign={world.campaign.id}&compound={world.k1.id}").get_data(as_text=True)
    assert f"/office/assist/{household.id}?" not in visits
    resp = client.post(f"/office/review/decide?campaign={world.campaign.id}",
                       data={"response": [rid], "decision": "reject", "note": "同一设备代答"})
    assert resp.status_code == 302
    text = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已驳回 1 份答卷" in text and "已作废原二维码，网格员可在走访页面为这些住户补发" in text
    db.session.expire_all()
    assert db.session.get(Response, rid).status == "rejected"
    assert db.session.get(ResponseSignal, rid).decision == "rejected"
    assert _n("published", world.k1.id) == before and _n("held", world.k1.id) == 2
    assert _n("rejected", world.k1.id) == 1
    assert app.test_client().get(f"/s/{token}").status_code == 404
    assert not db.session.scalar(select(func.count(HouseholdCode.id)).where(
        HouseholdCode.household_id == household.id, HouseholdCode.revoked_at.is_(None)))
    visits = client.get(f"/office/visits?campaign={world.campaign.id}&compound={world.k1.id}").get_data(as_text=True)
    assert f"/office/assist/{household.id}?" in visits  # to be visited again
    [event] = _events("response.rejected")
    assert "驳回 1 份" in event.detail and "同一设备代答" in event.detail and "作废二维码 1 个" in event.detail
    assert household.label not in event.detail and f"household:{household.id}" not in event.target
    assert event.street_id == world.s1.id


@pytest.mark.parametrize("username", ["company1", "grid1", "street3"])
def test_others_are_refused(queue_world, login, username):
    world, held, _tokens = queue_world
    client = login(username)
    page = client.get(f"/office/review?campaign={world.campaign.id}&area=street:{world.s1.id}")
    assert page.status_code in (403, 404)
    assert "金色花园" not in page.get_data(as_text=True)
    resp = client.post(f"/office/review/decide?campaign={world.campaign.id}",
                       data={"response": held["device"], "decision": "reject"})
    assert resp.status_code in (403, 404)
    db.session.expire_all()
    assert all(db.session.get(Response, rid).status == "held" for rid in held["device"])
    assert not _events("response.rejected")
    if username == "grid1":  # no link to a page they may not open
        assert "答卷复核" not in client.get("/office/visits").get_data(as_text=True)


@pytest.mark.parametrize("case", ["published", "outside", "malformed", "unknown", "decision", "mixed", "none"])
def test_bad_decisions_are_refused_and_change_nothing(queue_world, login, case):
    world, held, _tokens = queue_world
    client = login("street1")
    published = db.session.scalar(select(Response.id).where(Response.compound_id == world.k1.id,
                                                            Response.status == "published"))
    ids = {"published": [published], "outside": held["burst"][:1], "malformed": ["١٢"], "unknown": [999_999],
           "decision": held["device"], "mixed": [*held["device"], held["burst"][0]], "none": []}[case]
    decision = "maybe" if case == "decision" else "reject"
    snapshot = {r.id: r.status for r in db.session.scalars(select(Response))}
    resp = client.post(f"/office/review/decide?campaign={world.campaign.id}",
                       data={"response": ids, "decision": decision})
    assert 400 <= resp.status_code < 500
    assert {"published": 409, "outside": 404, "unknown": 404, "mixed": 404}.get(case, 400) == resp.status_code
    db.session.expire_all()
    assert {r.id: r.status for r in db.session.scalars(select(Response))} == snapshot
    assert not db.session.scalar(select(func.count(HouseholdCode.id)).where(
        HouseholdCode.revoke_reason == "review rejected"))
    assert not _events("response.rejected")


def test_the_domain_refuses_with_a_refusal(queue_world):
    world, held, _tokens = queue_world
    city = db.session.scalar(select(User).where(User.username == "city"))
    grid = db.session.scalar(select(User).where(User.username == "grid1"))
    with pytest.raises(Refusal) as e:
        review.decide(grid, world.campaign, held["device"], "accept")
    assert e.value.status == 403
    done = review.decide(city, world.campaign, held["device"] + held["burst"], "accept")
    assert done.count == 5
    with pytest.raises(review.ReviewRefused) as e:  # decided already: not held any more
        review.decide(city, world.campaign, held["device"], "reject")
    assert e.value.status == 409 and "待复核" in e.value.message
    db.session.rollback()


def test_the_decision_form_survives_hostile_input(queue_world, login):
    """Every field of the decision form hostile in turn (the hostile-input corpus crawls a world
    without held responses, so the form is tried here): 4xx, never a 500, nothing decided."""
    world, held, _tokens = queue_world
    client = login("street1")
    url = f"/office/review/decide?campaign={world.campaign.id}"
    for value in HOSTILE:
        for data in ({"response": value, "decision": "reject"}, {"response": held["device"], "decision": value},
                     {"response": held["device"][:1], "decision": value, "note": value}):
            resp = client.post(url, data=data)
            assert 400 <= resp.status_code < 500, (data, resp.status_code)
    for note in ("a\x00b", "长" * 201):
        assert client.post(url, data={"response": held["device"], "decision": "accept", "note": note}).status_code == 400
    resp = client.post(url, data={"response": held["device"][:1], "decision": "accept", "note": MARKUP})
    assert resp.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Response, rid).status for rid in held["device"]] == ["published", "held", "held"]
    page = client.get("/office/audit/").get_data(as_text=True)
    assert MARKUP not in page


def test_a_large_cluster_lists_twenty_and_decides_the_rest_with_them(world, login):
    c = world.campaign
    homes = households_of(world.k2)
    for h in homes[:5]:
        answer(c, h, 4)
    ids = [_hold(c, answer(c, h, 5), [DEVICE], device=bytes.fromhex("0badcafe") * 8).id for h in homes[5:30]]
    client = login("street1")
    page = client.get(f"/office/review?campaign={c.id}").get_data(as_text=True)
    assert page.count('type="checkbox" name="response"') == 20
    assert "本组另有 5 份答卷未逐份列出" in page
    assert sorted(int(v) for v in re.findall(r'name="response" value="(\d+)"', page)) == sorted(ids)
    client.post(f"/office/review/decide?campaign={c.id}",
                data={"response": [str(i) for i in ids], "decision": "accept"})
    assert db.session.scalar(select(func.count()).where(Response.status == "published",
                                                        Response.id.in_(ids))) == 25


def test_the_area_picker_narrows_the_queue(queue_world, login):
    """?street= and ?compound= (the shared picker) narrow the queue and stay in its links; another
    district is refused, a compound outside is not found."""
    world, _held, _tokens = queue_world
    client = login("city")
    text = client.get(f"/office/review?campaign={world.campaign.id}&street={world.s3.id}").get_data(as_text=True)
    assert "御景华庭" in text and "金色花园" not in text and text.count('name="response"') == 2
    text = client.get(f"/office/review?campaign={world.campaign.id}&compound={world.k1.id}").get_data(as_text=True)
    assert "金色花园" in text and "御景华庭" not in text and text.count('name="response"') == 3
    assert f"compound={world.k1.id}" in text  # the decision forms and the counts' links keep it
    client = login("district")
    assert client.get(f"/office/review?district={world.west.id}").status_code == 403
    assert client.get(f"/office/review?compound={world.k4.id}").status_code == 404
