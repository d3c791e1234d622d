"""Reading the audit log: security events counted over time, jurisdiction clauses, readable changes."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from survey_app import access
from survey_app.domain import audit, audit_log
from survey_app.domain.xlsx.audit import audit_workbook
from survey_app.errors import Invalid
from survey_app.models import AuditEvent, User

from .test_workbook_safety import _assert_inert, _written, hostile


def _security(db, action, at, where=None):
    audit.record(action, "x", category=audit.SECURITY, where=where).at = at


WHEN = datetime(2026, 11, 30, 14, 25)


def test_security_counts_per_day_and_per_hour(world, db):
    for at, action in [(WHEN, "login.failed"), (WHEN.replace(minute=0), "login.failed"),
                       (WHEN - timedelta(minutes=30), "code.unknown"),  # 13:55: the hour before
                       (WHEN - timedelta(hours=47, minutes=25), "rate_limited"),  # 15:00 two days ago: first hour
                       (WHEN - timedelta(hours=48, minutes=26), "rate_limited"),  # 13:59: outside the 48 hours
                       (datetime(2026, 11, 1, 0, 0), "refused"),  # the first of the 30 days
                       (datetime(2026, 10, 31, 23, 59), "refused"),  # the day before: outside
                       (WHEN + timedelta(days=1), "refused")]:  # the future: outside
        _security(db, action, at)
    audit.record("campaign.open", "x").at = WHEN  # staff actions are not counted
    db.session.flush()
    days = audit_log.security_series(access.audit_clause(User(role="city")), "day", WHEN)
    assert len(days.buckets) == 30 and days.buckets[0] == datetime(2026, 11, 1) and days.buckets[-1] == datetime(2026, 11, 30)
    assert days.counts["login.failed"][-1] == 2 and days.counts["code.unknown"][-1] == 1
    assert days.counts["refused"][0] == 1 and sum(days.counts["refused"]) == 1
    assert days.counts["rate_limited"][-3] == 2 and days.counts["rate_limited"][-2] == 0  # both on 28 November
    assert days.total() == 6 and days.peak == 3 and "campaign.open" not in days.counts

    hours = audit_log.security_series(access.audit_clause(User(role="city")), "hour", WHEN)
    assert len(hours.buckets) == 48 and hours.buckets[-1] == datetime(2026, 11, 30, 14)
    assert hours.buckets[0] == datetime(2026, 11, 28, 15)
    assert hours.counts["login.failed"][-1] == 2 and hours.counts["code.unknown"][-2] == 1
    assert hours.counts["rate_limited"][0] == 1 and sum(hours.counts["rate_limited"]) == 1
    assert "refused" not in hours.counts and hours.total() == 4


def test_security_counts_keep_to_the_jurisdiction(world, db):
    _security(db, "code.revoked", WHEN, audit.Jurisdiction(world.east.id, world.s1.id))
    _security(db, "code.revoked", WHEN, audit.Jurisdiction(world.west.id, world.s3.id))
    _security(db, "login.failed", WHEN)
    db.session.flush()
    district = User(role="district", district_id=world.east.id)
    street3 = User(role="street", district_id=world.west.id, street_id=world.s3.id)
    assert audit_log.security_series(access.audit_clause(district), "day", WHEN).counts == {"code.revoked": [0] * 29 + [1]}
    assert audit_log.security_series(access.audit_clause(street3), "hour", WHEN).total() == 1
    assert audit_log.security_series(access.audit_clause(User(role="city")), "hour", WHEN).total() == 3


def test_who_may_read_the_audit_log(world, db):
    assert [access.may_see_audit(User(role=r)) for r in ("city", "district", "street", "grid", "company")] \
        == [True, True, True, False, False]
    assert access.may_see_audit(None) is False
    for who in (User(role="grid", street_id=world.s1.id), User(role="company", company_id=world.c1.id)):
        audit.record("x.y", "t", where=audit.Jurisdiction(world.east.id, world.s1.id, world.c1.id))
        db.session.flush()
        assert db.session.scalars(select(AuditEvent).where(access.audit_clause(who))).all() == []


def test_jurisdiction_helpers(world, db):
    assert audit.where_area("street", world.s1.id) == audit.Jurisdiction(world.east.id, world.s1.id)
    assert audit.where_area("district", world.west.id) == audit.Jurisdiction(world.west.id)
    assert audit.where_area("city", None) == audit.Jurisdiction()
    assert audit.where_compounds([world.k1.id]) == audit.Jurisdiction(world.east.id, world.s1.id, world.c1.id)
    assert audit.where_compounds([world.k1.id, world.k2.id]) == audit.Jurisdiction(world.east.id, world.s1.id)
    assert audit.where_compounds([world.k1.id, world.k3.id]) == audit.Jurisdiction(world.east.id, None, world.c1.id)
    assert audit.where_compounds([world.k1.id, world.k4.id]) == audit.Jurisdiction()
    assert audit.where_campaign(world.campaign) == audit.Jurisdiction()


def test_changes_are_readable():
    e = AuditEvent(before='{"status": "draft", "name": "甲"}', after='{"status": "open", "extra": [1, 2]}')
    rows = {c.field: (c.before, c.after) for c in audit_log.changes(e)}
    assert rows["状态"] == ("draft", "open") and rows["名称"] == ("甲", "") and rows["extra"] == ("", "[1, 2]")
    assert audit_log.changes(AuditEvent()) == []
    assert audit_log.changes(AuditEvent(after="not json")) == [audit_log.Change("", "—", "not json")]
    assert audit_log.action_label("campaign.open") == "开启测评活动" and audit_log.action_label("new.thing") == "new.thing"


@pytest.mark.parametrize("args", [{"start": "2026-02-30"}, {"end": "20260101"}, {"start": "١٢٠٢٦-01-01"},
                                  {"start": "1900-01-01"}, {"start": "2026-03-02", "end": "2026-03-01"},
                                  {"category": "other"}])
def test_bad_filters_are_refused(args):
    with pytest.raises(Invalid):
        audit_log.Filters.parse(args)


def test_filters_read_back_as_args():
    f = audit_log.Filters.parse({"start": "2026-03-01", "category": "staff", "actor": " bob\x00 ", "q": "x" * 500})
    assert f.args() == {"start": "2026-03-01", "category": "staff", "actor": "bob", "q": "x" * audit_log.TEXT_MAX}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(hostile, min_size=8, max_size=8))
def test_the_audit_workbook_keeps_hostile_text_inert(world, db, texts):
    t = iter(texts)
    # Not added to the session: NUL cannot be stored in PostgreSQL text; the writer is the same on both.
    e = AuditEvent(at=datetime(2026, 11, 30, 9), category=next(t), action=next(t), target=next(t), actor=next(t),
                   ip="", detail=next(t), before=audit._json({"name": next(t)}), after=audit._json({next(t): "x"}),
                   district_id=world.east.id, street_id=world.s1.id, company_id=world.c1.id)
    written = _assert_inert(audit_workbook([e], datetime(2026, 11, 30), filters_text=next(t)), "audit")
    assert _written(e.detail) in written and _written(e.actor) in written  # the text is there, inert
    assert "东城区" in written and "文化路街道" in written
