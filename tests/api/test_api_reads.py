"""The read endpoints: the pages' figures, published responses only, small groups withheld, no
household identity, the client's scope, paging, ETags."""
from __future__ import annotations

import json

from sqlalchemy import select

from survey_app.access import Area
from survey_app.domain.clock import now
from survey_app.domain.rectification.rates import loop_rates
from survey_app.domain.rectification.rules import generate
from survey_app.domain.responses import totals
from survey_app.domain.responses.survey import dimension_specs
from survey_app.domain.stats.aggregates import dimension_stats
from survey_app.domain.stats.privacy import WITHHELD
from survey_app.domain.stats.reports import company_ranking
from survey_app.models import Campaign, Household, Response

from ..factories import answer, households_of
from .conftest import answer_world, make_token, ApiCaller


def _url(api, what="", **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/campaigns/{api.world.campaign.id}{what}" + (f"?{q}" if q else "")


def test_ranking_equals_the_ranking_page(api, login, client):
    answer_world(api.world)
    for area, caller in ((Area("city"), api.city), (Area("district", api.world.east.id), api.east)):
        body = caller.get(_url(api, "/rankings")).get_json()
        expected = company_ranking(api.world.campaign, area)
        assert body["area"]["level"] == area.level and body["total"] == len(expected.rows)
        for row, r in zip(body["items"], expected.rows):
            assert row["company"]["id"] == r.stats.key and row["n"] == r.stats.n
            assert row["rank"] == r.rank and row["band"] == r.band and row["ranked"] == r.eligible
            assert row["households"] == r.stats.households and row["coverage"] == r.stats.coverage
            if r.eligible:
                assert row["index"] == r.stats.mean and row["shrunk"] == r.shrunk
                assert [row["interval"]["low"], row["interval"]["high"]] == list(r.stats.interval)
                assert row["satisfaction_rate"] == r.stats.satisfaction_rate
    login("city")
    page = client.get("/office/ranking").data.decode()
    body = api.city.get(_url(api, "/rankings")).get_json()
    first = body["items"][0]
    row = page[page.index(first["company"]["name"]):]
    row = row[:row.index("</tr>")]
    assert f"{first['index']:.1f}" in row and f"{first['coverage'] * 100:.1f}%" in row


def test_held_responses_never_count(api, db):
    answer_world(api.world)
    before = api.city.get(_url(api, "/rankings")).get_json()
    held = db.session.scalars(select(Response).where(Response.compound_id == api.world.k1.id).limit(4)).all()
    for r in held:
        totals.set_status(r, "held", dimension_specs(api.world.campaign))
    db.session.commit()
    after = api.city.get(_url(api, "/rankings")).get_json()
    n = {r["company"]["id"]: r["n"] for r in after["items"]}
    assert n[api.world.c1.id] == {r["company"]["id"]: r["n"] for r in before["items"]}[api.world.c1.id] - 4
    cov = api.city.get(_url(api, "/coverage")).get_json()
    assert {r["unit"]["id"]: r["responses"] for r in cov["items"]}[api.world.k1.id] == 6
    dims = api.city.get(_url(api, "/dimensions", level="compound")).get_json()
    assert {r["n"] for r in dims["items"] if r["unit"]["id"] == api.world.k1.id} == {6}


def test_small_groups_show_null_figures_and_the_reason(api):
    answer_world(api.world)  # 御景华庭 (丙物业) has 3 responses
    rows = {r["company"]["id"]: r for r in api.city.get(_url(api, "/rankings")).get_json()["items"]}
    small = rows[api.world.c3.id]
    assert small["withheld"] and not small["ranked"] and small["n"] == 3
    assert small["index"] is None and small["interval"] is None and small["satisfaction_rate"] is None
    assert small["reason"] == str(WITHHELD)
    dims = api.city.get(_url(api, "/dimensions", level="compound", limit=1000)).get_json()["items"]
    k4 = [r for r in dims if r["unit"]["id"] == api.world.k4.id]
    assert k4 and all(r["withheld"] and r["mean"] is None and r["interval"] is None
                      and r["satisfaction_rate"] is None and r["reason"] == str(WITHHELD) for r in k4)
    shown = [r for r in dims if r["unit"]["id"] == api.world.k1.id]
    assert shown and all(r["mean"] is not None and r["reason"] is None for r in shown)
    cov = {r["unit"]["id"]: r for r in api.city.get(_url(api, "/coverage")).get_json()["items"]}
    assert cov[api.world.k4.id]["responses"] == 3  # counts are not answers: they show


def test_dimension_figures_equal_the_overview(api):
    answer_world(api.world)
    area = Area("district", api.world.east.id)
    body = api.east.get(_url(api, "/dimensions", level="company", limit=1000)).get_json()
    expected = dimension_stats(api.world.campaign.id, area, "company")
    assert len(body["items"]) == len(expected)
    for row in body["items"]:
        s = expected[(row["unit"]["id"], row["dimension"]["id"])]
        assert row["n"] == s.n and row["mean"] == s.mean and row["satisfaction_rate"] == s.satisfaction_rate
    whole = api.east.get(_url(api, "/dimensions", level="city")).get_json()["items"]
    assert {r["unit"]["level"] for r in whole} == {"district"} and whole[0]["unit"]["id"] == api.world.east.id


def _keys(value) -> set:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_no_household_identity_leaves(api, db):
    homes = households_of(api.world.k1)
    for h in homes[:6]:
        answer(api.world.campaign, h, 1, comment="楼道灯坏了，王经理不管，电话13812345678，我住1号楼1单元101室")
    generate(api.world.campaign)
    db.session.commit()
    rooms = {h.room for h in db.session.scalars(select(Household))}
    bodies = []
    for what, query in (("", {}), ("/rankings", {}), ("/coverage", {"level": "compound"}),
                        ("/dimensions", {"level": "compound"}), ("/rectification-items", {}),
                        ("/rectification-rates", {})):
        resp = api.city.get(_url(api, what, **query))
        assert resp.status_code == 200, (what, resp.data)
        bodies.append(resp.get_data(as_text=True))
    items = json.loads(bodies[4])["items"]
    assert items and all(i["source"] == "low_score" for i in items)
    for text in bodies:
        decoded = json.dumps(json.loads(text), ensure_ascii=False)
        assert "13812345678" not in decoded and "楼道灯" not in decoded and "经理" not in decoded
        assert not any(f'"{room}"' in decoded for room in rooms)
        assert not _keys(json.loads(text)) & {"household", "household_id", "room", "unit_no", "code", "comment",
                                               "comments", "samples", "evidence", "note", "description"}


def test_rectification_items_and_rates_equal_the_loop(api, db):
    for h in households_of(api.world.k1)[:6]:
        answer(api.world.campaign, h, 1)
    generate(api.world.campaign)
    db.session.commit()
    body = api.city.get(_url(api, "/rectification-items", limit=2)).get_json()
    assert body["total"] >= 3 and len(body["items"]) == 2 and body["next"]
    item = body["items"][0]
    assert item["status"] == "open" and item["compound"]["id"] == api.world.k1.id
    assert item["created_at"].endswith("+08:00") and item["external_ref"] is None
    assert api.city.get(_url(api, "/rectification-items", status="verified")).get_json()["total"] == 0
    assert api.s3_writer.get(_url(api, "/rectification-items")).get_json()["total"] == 0  # another street
    rates = api.city.get(_url(api, "/rectification-rates", by="street")).get_json()
    expected = loop_rates(api.world.campaign.id, by="street", today=now().date())
    assert {r["unit"]["id"]: r["items"] for r in rates["items"]} == {k: v.items for k, v in expected.items()}
    assert rates["totals"]["items"] == sum(v.items for v in expected.values())


def test_scope_narrows_and_refuses_outside(api):
    answer_world(api.world)
    east = api.east.get(_url(api, "/coverage")).get_json()
    assert {r["unit"]["id"] for r in east["items"]} == {api.world.k1.id, api.world.k2.id, api.world.k3.id}
    street = api.east.get(_url(api, "/coverage", area=f"street:{api.world.s1.id}")).get_json()
    assert {r["unit"]["id"] for r in street["items"]} == {api.world.k1.id, api.world.k2.id}
    assert {r["unit"]["id"] for r in api.s1.get(_url(api, "/coverage")).get_json()["items"]} == {
        api.world.k1.id, api.world.k2.id}
    for caller, area in ((api.east, f"district:{api.world.west.id}"), (api.east, "city"),
                         (api.s1, f"street:{api.world.s2.id}"), (api.s1, f"district:{api.world.east.id}")):
        resp = caller.get(_url(api, "/rankings", area=area))
        assert resp.status_code == 403 and resp.mimetype == "application/problem+json", area
        assert resp.get_json()["status"] == 403
    assert api.east.get(_url(api, "/rankings", area="street:999999")).status_code == 404
    assert api.east.get(_url(api, "/rankings", area="somewhere")).status_code == 400


def test_campaigns_of_other_scopes_are_not_found(api, db):
    west = Campaign(name="西城区专项", scope_level="district", scope_id=api.world.west.id, opens_at=now(),
                    closes_at=now(), status="open")
    db.session.add(west)
    db.session.commit()
    assert [c["id"] for c in api.east.get("/api/v1/campaigns").get_json()["items"]] == [api.world.campaign.id]
    assert {c["id"] for c in api.city.get("/api/v1/campaigns").get_json()["items"]} == {api.world.campaign.id, west.id}
    resp = api.east.get(f"/api/v1/campaigns/{west.id}/rankings")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    detail = api.city.get(f"/api/v1/campaigns/{api.world.campaign.id}").get_json()
    assert detail["dimensions"][0]["questions"] and "other" in detail["categories"]
    assert detail["opens_at"].endswith("+08:00")


def test_paging_next_links_and_the_limit(api):
    answer_world(api.world)
    seen, url, pages = [], _url(api, "/coverage", limit=1), 0
    while url:
        resp = api.city.get(url)
        body = resp.get_json()
        seen += [r["unit"]["id"] for r in body["items"]]
        assert body["total"] == 4 and body["limit"] == 1
        if body["next"]:
            assert resp.headers["Link"] == f'<{body["next"]}>; rel="next"'
        else:
            assert "Link" not in resp.headers
        url, pages = body["next"], pages + 1
    assert pages == 4 and sorted(seen) == sorted([api.world.k1.id, api.world.k2.id, api.world.k3.id, api.world.k4.id])
    for bad in ("1001", "0", "-1", "x"):
        resp = api.city.get(_url(api, "/coverage", limit=bad))
        assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
        assert "limit" in resp.get_json()["errors"]
    assert api.city.get(_url(api, "/coverage", limit=1000)).status_code == 200


def test_etags_answer_304_until_the_figures_change(api):
    answer_world(api.world)
    first = api.city.get(_url(api, "/rankings"))
    tag = first.headers["ETag"]
    again = api.city.get(_url(api, "/rankings"), headers={"If-None-Match": tag})
    assert again.status_code == 304 and not again.data
    answer(api.world.campaign, households_of(api.world.k4)[5], 5)
    changed = api.city.get(_url(api, "/rankings"), headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    for url in ("/api/v1/campaigns", _url(api), _url(api, "/coverage"), _url(api, "/dimensions"),
                _url(api, "/rectification-items"), _url(api, "/rectification-rates"), "/api/v1/openapi.json"):
        resp = api.city.get(url)
        assert resp.headers.get("ETag"), url
        assert api.city.get(url, headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304, url


def test_a_revoked_or_missing_token_reads_nothing(api, client):
    resp = client.get(_url(api, "/rankings"))
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert ApiCaller(client, "not-a-token").get(_url(api, "/rankings")).status_code == 401
    assert ApiCaller(client, make_token(Area("city"), name="另一个")).get(_url(api, "/rankings")).status_code == 200
