"""What a household's submission keeps about its device (hashed), and who is shown saved answers."""
from datetime import timedelta

from sqlalchemy import select

from survey_app.domain import clock
from survey_app.domain.integrity import scan, signals
from survey_app.domain.responses import survey, totals
from survey_app.domain.responses.survey import dimension_specs
from survey_app.models import Response, ResponseChange, ResponseSignal

from ..factories import answer, form_for, households_of, issue


def _enter(client, token, **headers):
    assert client.get(f"/s/{token}", headers=headers).status_code == 302
    return client.get("/s/", headers=headers)


def _at(monkeypatch, when):
    """The clock reads `when` for the survey (its opening) and for the saved response."""
    monkeypatch.setattr(clock, "now", lambda: when)
    monkeypatch.setattr(survey, "now", lambda: when)


def _signal(db):
    return db.session.scalar(select(ResponseSignal))


def test_first_answer_keeps_hashed_device_network_agent_and_duration(app, client, world, db, monkeypatch):
    h = households_of(world.k1)[0]
    start = clock.now()
    _at(monkeypatch, start)
    agent = {"User-Agent": "Mozilla/5.0 (Linux; Android 10) 测试手机"}
    _enter(client, issue(world.campaign, h), **agent)
    cookie = client.get_cookie("device")
    assert cookie is not None and cookie.http_only and len(cookie.value) >= 22
    _at(monkeypatch, start + timedelta(minutes=4, seconds=10))
    client.post("/s/", data=form_for(world.campaign, "4"), headers=agent,
                environ_base={"REMOTE_ADDR": "203.0.113.77"})
    s = _signal(db)
    assert s.opened_at == start and s.duration == 250.0 and s.uniform is True
    key = signals.campaign_key(world.campaign)
    assert s.device_hash == s.last_device_hash == signals.keyed(key, "device", cookie.value)
    assert s.network_hash == signals.keyed(key, "network", "203.0.113.0/24")
    assert s.agent_hash == signals.keyed(key, "agent", agent["User-Agent"])
    stored = b"".join(bytes(v) for v in (s.device_hash, s.network_hash, s.agent_hash))
    assert cookie.value.encode() not in stored and b"203.0.113" not in stored  # never as given


def test_network_prefix_is_a_24_or_48_and_nothing_for_garbage():
    assert signals.network_prefix("198.51.100.200") == "198.51.100.0/24"
    assert signals.network_prefix("::ffff:198.51.100.7") == "198.51.100.0/24"
    assert signals.network_prefix("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"
    assert signals.network_prefix("not an address") is None and signals.network_prefix(None) is None


def test_a_saved_answer_is_shown_only_on_the_device_that_saved_it(app, client, world, db):
    h = households_of(world.k1)[0]
    token = issue(world.campaign, h)
    _enter(client, token)
    client.post("/s/", data=form_for(world.campaign, "2", comment="门禁坏了一个月没人修"))
    again = _enter(client, token).data.decode()
    assert "以下为您保存的答案" in again and "门禁坏了一个月没人修" in again and 'value="2" required checked' in again

    stranger = app.test_client()  # the label left on a door, scanned by a neighbour's phone
    page = _enter(stranger, token).data.decode()
    assert "本户已于" in page and "之前的答案只在当时作答的手机上显示" in page
    assert "门禁坏了一个月没人修" not in page and "checked" not in page and "以下为您保存的答案" not in page


def test_a_change_from_another_device_is_kept_as_a_signal(app, client, world, db):
    h = households_of(world.k1)[0]
    token = issue(world.campaign, h)
    _enter(client, token)
    client.post("/s/", data=form_for(world.campaign, "5"))
    _enter(client, token)
    client.post("/s/", data=form_for(world.campaign, "4"))  # the same phone changes its mind
    stranger = app.test_client()
    _enter(stranger, token)
    stranger.post("/s/", data=form_for(world.campaign, "1"))
    changes = db.session.scalars(select(ResponseChange).order_by(ResponseChange.id)).all()
    assert [c.new_device for c in changes] == [False, True]
    assert [(c.score_before, c.score_after) for c in changes] == [(100.0, 75.0), (75.0, 0.0)]
    s = _signal(db)
    assert s.device_hash != s.last_device_hash == changes[1].device_hash
    assert s.duration is not None  # the first answer's duration stays
    # The stranger now owns the answers; the first phone is shown a blank form.
    assert "本户已于" in _enter(client, token).data.decode()
    assert db.session.scalar(select(Response.score)) == 0.0


def test_a_forged_device_cookie_is_replaced_by_a_new_id(app, client, world, db):
    h = households_of(world.k1)[0]
    client.set_cookie("device", "<script>")
    _enter(client, issue(world.campaign, h))
    assert client.get_cookie("device").value != "<script>"


def test_a_household_whose_answer_was_rejected_answers_again_and_the_rejected_one_is_kept(app, client, world, db):
    h = households_of(world.k1)[0]
    _enter(client, issue(world.campaign, h))
    client.post("/s/", data=form_for(world.campaign, "1", comment="代填的意见"))
    first = db.session.scalar(select(Response))
    totals.set_status(first, "rejected", dimension_specs(world.campaign))
    db.session.commit()
    resident = app.test_client()
    page = _enter(resident, issue(world.campaign, h)).data.decode()  # re-issued code, the household's phone
    assert "本户已于" not in page and "代填的意见" not in page
    resident.post("/s/", data=form_for(world.campaign, "4"))
    rows = db.session.execute(select(Response.status, Response.score, Response.comment).order_by(Response.id)).all()
    assert [tuple(r) for r in rows] == [("rejected", 0.0, "代填的意见"), ("published", 75.0, None)]


def test_closing_a_campaign_warns_of_responses_still_held(app, client, world, db, login):
    for h in households_of(world.k1)[:3]:
        answer(world.campaign, h, 5, seen=signals.Seen("one-phone-gggggggggggggggggggggg", "198.51.100.7", "UA"))
    login("city")
    page = client.get(f"/office/campaigns/{world.campaign.id}").data.decode()
    assert "结束活动" in page and "待复核" not in page
    scan.scan(world.campaign)
    db.session.commit()
    page = client.get(f"/office/campaigns/{world.campaign.id}").data.decode()
    assert "尚有 3 份答卷待复核：活动结束后它们不计入任何结果，也不能再复核。" in page
    assert f"/office/review?campaign={world.campaign.id}" in page
