"""The scan: detectors over a campaign's stored responses, holding and releasing them; the purge."""
from datetime import timedelta

from sqlalchemy import func, select, update

from survey_app.access import Area
from survey_app.domain import clock
from survey_app.domain.integrity import scan, signals
from survey_app.domain.integrity.signals import Seen
from survey_app.domain.stats.aggregates import company_stats

from survey_app.models import Campaign, Response, ResponseChange, ResponseSignal

from ..factories import answer, households_of


def _status(db):
    return dict(db.session.execute(select(Response.household_id, Response.status)).all())


def test_one_phone_for_four_households_is_held_and_leaves_the_figures(app, world, db):
    homes = households_of(world.k1)
    phone = Seen("staff-phone-aaaaaaaaaaaaaaaa", "198.51.100.7", "Mozilla/5.0 同一部手机")
    for h in homes[:4]:
        answer(world.campaign, h, 5, seen=phone)
    for i, h in enumerate(homes[4:10]):
        answer(world.campaign, h, 2, seen=Seen(f"resident-{i}-bbbbbbbbbbbbbbbbbb", f"203.0.113.{i}", f"UA {i}"))
    before = company_stats(world.campaign.id, Area("city"))
    result = scan.scan(world.campaign)
    db.session.commit()
    status = _status(db)
    assert [status[h.id] for h in homes[:4]] == ["held"] * 4
    assert [status[h.id] for h in homes[4:10]] == ["published"] * 6
    assert result.held == 4 and result.newly_held == 4 and result.by_kind.get("device") == 4
    flags = db.session.scalar(select(ResponseSignal.flags).where(ResponseSignal.response_id == 1))
    assert flags and flags[0]["kind"] == "device" and flags[0]["params"]["households"] == 4
    after = {s.key: s for s in company_stats(world.campaign.id, Area("city"))}
    assert after[world.c1.id].n == 6 and {s.key: s.n for s in before}[world.c1.id] == 10
    # A second scan changes nothing.
    again = scan.scan(world.campaign)
    assert (again.held, again.newly_held, again.released) == (4, 0, 0)


def test_an_officers_acceptance_stands_until_the_household_changes_its_answers(app, world, db):
    homes = households_of(world.k1)
    phone = Seen("staff-phone-aaaaaaaaaaaaaaaa", "198.51.100.7", "UA")
    for h in homes[:3]:
        answer(world.campaign, h, 5, seen=phone)
    scan.scan(world.campaign)
    signal = db.session.get(ResponseSignal, 1)
    signal.decision = "accepted"
    assert scan.scan(world.campaign).released == 1 and _status(db)[homes[0].id] == "published"
    answer(world.campaign, homes[0], 1, seen=Seen("another-phone-cccccccccccccccc", "198.51.100.9", "UA"))
    assert db.session.get(ResponseSignal, 1).decision is None
    scan.scan(world.campaign)
    assert _status(db)[homes[0].id] == "held"


def test_purge_deletes_signals_of_campaigns_closed_long_ago_but_keeps_those_still_held(app, world, db):
    homes = households_of(world.k1)
    for i, h in enumerate(homes[:3]):
        answer(world.campaign, h, 4, seen=Seen("one-phone-dddddddddddddddddddd", "198.51.100.7", "UA"))
    answer(world.campaign, homes[4], 4, seen=Seen("own-phone-eeeeeeeeeeeeeeeeeeee", "198.51.100.8", "UA"))
    answer(world.campaign, homes[4], 3, seen=Seen("own-phone-eeeeeeeeeeeeeeeeeeee", "198.51.100.8", "UA"))
    scan.scan(world.campaign)
    db.session.commit()
    assert signals.purge(90).signals == 0  # still open: nothing goes
    world.campaign.closes_at = clock.now() - timedelta(days=91)
    out = signals.purge(90)
    assert (out.campaigns, out.signals, out.changes) == (1, 1, 1)
    left = db.session.scalars(select(ResponseSignal.response_id)).all()
    assert sorted(left) == sorted(db.session.scalars(select(Response.id).where(Response.status == "held")))
    assert len(left) == 3
    assert db.session.scalar(select(func.count()).select_from(ResponseChange)) == 0


def test_purge_from_the_command_line(app, world, db, runner):
    answer(world.campaign, households_of(world.k1)[0], 4, seen=Seen("a-phone-ffffffffffffffffffffff", "::1", "UA"))
    # Closed (and so frozen) ten days ago: the purge touches signals only, never the campaign.
    db.session.execute(update(Campaign).values(closes_at=clock.now() - timedelta(days=10), status="closed"))
    db.session.commit()
    out = runner.invoke(args=["integrity", "purge", "--days", "7"])
    assert out.exit_code == 0 and "已清除 1 个活动的完整性信号：答卷信号 1 条" in out.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ResponseSignal)) == 0
    assert runner.invoke(args=["integrity", "purge", "--days", "-1"]).exit_code != 0


def test_a_closed_campaign_is_not_scanned_again(app, world, db, runner):
    db.session.execute(update(Campaign).values(status="closed"))
    db.session.commit()
    out = runner.invoke(args=["integrity", "scan", "--campaign", str(world.campaign.id)])
    assert out.exit_code == 1 and "已结束，数据已冻结，不再重新检查答卷" in out.output
