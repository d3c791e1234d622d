"""The audit trail: one function records a staff action or a security event, from anywhere.

A staff action names who did it (the user, and their username at the time), from which address,
what it touched, and for a change the fields before and after (JSON). A security event (a failed
login, an unknown code, a rate limit hit, a refusal) names the address and what was tried. Each
event carries the jurisdiction it belongs to (district, street, company), so admins see their own.
Nothing here commits: the event lands with the transaction of the action it records, and a
refused action leaves no event but its security one (see `security_event`).
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import g, has_request_context, request
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, Compound, Household, Street
from .clock import now

STAFF = "staff"
SECURITY = "security"
API = "api"  # one line per request to /api/ by a client (survey_app/api/auth.py)
PENDING = "_security_events"  # on flask.g: events written after the request ends


@dataclass(frozen=True)
class Jurisdiction:
    """Whose event it is: the district, street and company it concerns (any may be None)."""

    district_id: int | None = None
    street_id: int | None = None
    company_id: int | None = None


_ASKED_FROM: ContextVar[str] = ContextVar("asked_from", default="")


def client_address() -> str:
    """The client's address as the app sees it (after the trusted proxies); outside a request, the
    address work done for one was asked from (`asked_from`), else ""."""
    return (request.remote_addr or "")[:45] if has_request_context() else _ASKED_FROM.get()


@contextmanager
def asked_from(address: str):
    """Work done outside a request for one (a job): its events carry the address it was asked from."""
    token = _ASKED_FROM.set((address or "")[:45])
    try:
        yield
    finally:
        _ASKED_FROM.reset(token)


def _json(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(action: str, target: str, *, user=None, detail: str = "", before: dict | None = None,
           after: dict | None = None, where: Jurisdiction | None = None, category: str = STAFF,
           actor: str | None = None) -> AuditEvent:
    """Add an event to the session (the caller's transaction commits it)."""
    where = where or Jurisdiction()
    event = AuditEvent(
        at=now(), category=category, user_id=getattr(user, "id", None),
        actor=(actor if actor is not None else getattr(user, "username", "") or "")[:64],
        ip=client_address(), action=action[:40], target=(target or "")[:80], detail=(detail or "")[:500],
        before=_json(before), after=_json(after),
        district_id=where.district_id, street_id=where.street_id, company_id=where.company_id)
    db.session.add(event)
    return event


def security_event(action: str, target: str = "", *, detail: str = "", actor: str = "",
                   where: Jurisdiction | None = None) -> None:
    """Record a security event that is kept even when the request that caused it is refused.

    In a request it is written after the request's own transaction has ended (committed or rolled
    back), in a transaction of its own; outside one it joins the session like any event.
    """
    where = where or Jurisdiction()
    values = dict(at=now(), category=SECURITY, user_id=None, actor=(actor or "")[:64], ip=client_address(),
                  action=action[:40], target=(target or "")[:80], detail=(detail or "")[:500],
                  district_id=where.district_id, street_id=where.street_id, company_id=where.company_id)
    if has_request_context():
        g.setdefault(PENDING, []).append(values)
    else:
        db.session.add(AuditEvent(**values))


def exported(what: str, target: str = "", *, user=None, detail: str = "", where: Jurisdiction | None = None) -> None:
    """Record a download (a workbook, a PDF) as an "export" event.

    A download is a read-only request; its event is written after the request ends, in a
    transaction of its own (like a security event), so the read never has to become a write.
    """
    where = where or Jurisdiction()
    values = dict(at=now(), category=STAFF, user_id=getattr(user, "id", None),
                  actor=(getattr(user, "username", "") or "")[:64], ip=client_address(),
                  action=f"export.{what}"[:40], target=(target or "")[:80], detail=(detail or "")[:500],
                  district_id=where.district_id, street_id=where.street_id, company_id=where.company_id)
    if has_request_context():
        g.setdefault(PENDING, []).append(values)
    else:
        db.session.add(AuditEvent(**values))


def api_request(client_id: int, name: str, method: str, path: str, status: int,
                where: Jurisdiction | None = None) -> None:
    """Record one request of an API client (its id and name, the method, path and status).

    Written after the request ends, with any security events, in one INSERT (see `security_event`),
    so a read stays a read and a refused request is logged too.
    """
    where = where or Jurisdiction()
    values = dict(at=now(), category=API, user_id=None, actor=f"api:{name}"[:64], ip=client_address(),
                  action="api.request", target=f"{method} {path}"[:80], detail=f"client={client_id} status={status}",
                  district_id=where.district_id, street_id=where.street_id, company_id=None)
    if has_request_context():
        g.setdefault(PENDING, []).append(values)
    else:
        db.session.add(AuditEvent(**values))


# ---------------------------------------------------------------- whose event it is

def where_area(level: str | None, ident: int | None) -> Jurisdiction:
    """The jurisdiction of a city, district or street (a street's event is its district's too)."""
    if level == "district":
        return Jurisdiction(district_id=ident)
    if level == "street":
        return Jurisdiction(district_id=db.session.scalar(select(Street.district_id).where(Street.id == ident)),
                            street_id=ident)
    return Jurisdiction()


def where_compound(compound) -> Jurisdiction:
    return Jurisdiction(compound.district_id, compound.street_id, compound.company_id)


def where_compounds(compound_ids) -> Jurisdiction:
    """The narrowest jurisdiction holding every one of the compounds (the city when they span districts)."""
    rows = set(db.session.execute(select(Compound.district_id, Compound.street_id, Compound.company_id)
                                  .where(Compound.id.in_(list(compound_ids)))).all()) if compound_ids else set()
    if not rows:
        return Jurisdiction()
    districts, streets, companies = ({r[i] for r in rows} for i in range(3))
    return Jurisdiction(districts.pop() if len(districts) == 1 else None,
                        streets.pop() if len(streets) == 1 else None,
                        companies.pop() if len(companies) == 1 else None)


def where_households(household_ids) -> Jurisdiction:
    ids = list(household_ids)
    if not ids:
        return Jurisdiction()
    return where_compounds(db.session.scalars(select(Household.compound_id).where(Household.id.in_(ids))
                                              .distinct()).all())


def where_campaign(campaign) -> Jurisdiction:
    return where_area(campaign.scope_level, campaign.scope_id)


def where_user(user) -> Jurisdiction:
    """The jurisdiction the user works in (their own events and exports of their whole view)."""
    company_id = getattr(user, "company_id", None)
    if getattr(user, "street_id", None):
        return Jurisdiction(where_area("street", user.street_id).district_id, user.street_id, company_id)
    return Jurisdiction(getattr(user, "district_id", None), None, company_id)


def take_pending() -> list[dict] | None:
    """The events this request keeps for after its end (see `survey_app.audit_trail`), handed over once."""
    return g.pop(PENDING, None)
