"""The signals a request carries, kept with each response as keyed hashes, and their purge.

What is stored per response (model `ResponseSignal`, `ResponseChange` per later change): when the
survey was first opened and first submitted (the duration), a keyed hash of a random first-party
device cookie, of the network prefix (IPv4 /24, IPv6 /48: never the address) and of the user
agent; whether every 5-point answer was the same. The mode and the grid worker of an assisted
answer are on the response itself. The key is the campaign's own (SECRET_KEY with the campaign's
random salt), so a device or a network cannot be followed from one campaign to the next, and a
copy of the database alone cannot reverse a prefix's hash.

`purge` deletes them INTEGRITY_SIGNAL_DAYS after a campaign closed (the signals of a response
still held for review are kept).
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, insert, select

from ...extensions import db
from ...models import Campaign, Response
from ...models.integrity import ResponseChange, ResponseSignal
from ..clock import now

UNIFORM_MIN = 5  # answers needed before "every answer the same" means anything


@dataclass(frozen=True)
class Seen:
    """What one request says about where it came from (nothing of it is stored as given)."""

    device: str | None  # the device cookie's random id
    address: str | None  # the client's address as the app sees it (after trusted proxies)
    agent: str | None  # the User-Agent header
    opened_at: datetime | None = None  # when this device first opened the survey for the household


_KEYS: dict[tuple[bytes, bytes], bytes] = {}  # (secret, salt) -> key: a few campaigns, computed once each


def campaign_key(campaign: Campaign) -> bytes:
    """The campaign's hashing key: SECRET_KEY with the campaign's salt (made when missing)."""
    if campaign.signal_salt is None:
        campaign.signal_salt = secrets.token_bytes(32)
    found = (str(current_app.config["SECRET_KEY"]).encode(), bytes(campaign.signal_salt))
    key = _KEYS.get(found)
    if key is None:
        if len(_KEYS) >= 64:
            _KEYS.clear()
        key = _KEYS[found] = hmac.new(found[0], b"integrity-signals:" + found[1], hashlib.sha256).digest()
    return key


def keyed(key: bytes, kind: str, value: str | None) -> bytes | None:
    """A keyed hash of one signal (None stays None)."""
    if not value:
        return None
    return hmac.new(key, f"{kind}:{value}".encode("utf-8", "replace"), hashlib.sha256).digest()


def network_prefix(address: str | None) -> str | None:
    """The network an address belongs to: its IPv4 /24 or IPv6 /48 (an IPv4-mapped address as IPv4)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network((ip, 24 if ip.version == 4 else 48), strict=False))


def is_uniform(answers: dict[int, int | None]) -> bool:
    """Whether every 5-point answer given is the same value (at least UNIFORM_MIN given)."""
    given = [v for v in answers.values() if v is not None]
    return len(given) >= UNIFORM_MIN and len(set(given)) == 1


def device_hash(campaign: Campaign, device: str | None) -> bytes | None:
    """The stored form of a device cookie in this campaign."""
    return keyed(campaign_key(campaign), "device", device)


_NEW_SIGNAL, _NEW_CHANGE = insert(ResponseSignal.__table__), insert(ResponseChange.__table__)


def record(resp: Response, campaign: Campaign, seen: Seen | None, *, first: bool, score_before: float | None,
           uniform: bool) -> None:
    """Keep this submission's signals: the response's first ones, or a change of its answers.

    A change says whether it came from a device other than the one that saved the answers last
    (a response from before signals were kept has no known device: never "new").
    """
    seen = seen or Seen(None, None, None)
    key = campaign_key(campaign)
    device = keyed(key, "device", seen.device)
    network = keyed(key, "network", network_prefix(seen.address))
    when = resp.updated_at
    signal = None if first else db.session.get(ResponseSignal, resp.id)  # a new response has none yet
    if signal is None:  # written as rows (nothing reads them back in this request: no ORM object)
        opened = seen.opened_at if seen.opened_at is not None and seen.opened_at <= when else None
        db.session.execute(_NEW_SIGNAL, dict(
            response_id=resp.id, campaign_id=campaign.id, opened_at=opened if first else None,
            submitted_at=resp.submitted_at, duration=(when - opened).total_seconds() if first and opened else None,
            device_hash=device if first else None, last_device_hash=device, network_hash=network,
            agent_hash=keyed(key, "agent", seen.agent), uniform=uniform))
        if first:
            return
        signal_device = None
    else:
        signal_device = signal.last_device_hash
        if signal_device != device:  # set only when it changes: an unchanged row is not flushed again
            signal.last_device_hash = device
        if signal.uniform != uniform:
            signal.uniform = uniform
        if signal.decision == "accepted":  # accepted as it was: changed answers are judged again
            signal.decision, signal.decided_by_id, signal.decided_at = None, None, None
    db.session.execute(_NEW_CHANGE, dict(
        response_id=resp.id, campaign_id=campaign.id, at=when, device_hash=device, network_hash=network,
        new_device=signal_device is not None and device != signal_device,
        score_before=score_before, score_after=resp.score))


def is_own_device(campaign: Campaign, resp: Response, device: str | None) -> bool:
    """Whether this device saved the household's answers last (only it is shown them again)."""
    signal = db.session.get(ResponseSignal, resp.id)
    if signal is None or signal.last_device_hash is None or not device:
        return False
    return hmac.compare_digest(bytes(signal.last_device_hash), device_hash(campaign, device))


@dataclass
class Purged:
    campaigns: int = 0
    signals: int = 0
    changes: int = 0


def purge(days: int, when: datetime | None = None) -> Purged:
    """Delete the signals of campaigns closed more than `days` ago (those of responses still held
    for review stay until decided). The campaign itself is frozen once closed and keeps its salt,
    which alone (without hashes to compare) tells nothing."""
    cutoff = (when or now()) - timedelta(days=days)
    out = Purged()
    for campaign in db.session.scalars(select(Campaign).where(Campaign.closes_at < cutoff).order_by(Campaign.id)):
        held = select(Response.id).where(Response.campaign_id == campaign.id, Response.status == "held")
        gone_changes = db.session.execute(delete(ResponseChange).where(
            ResponseChange.campaign_id == campaign.id, ResponseChange.response_id.not_in(held)))
        gone_signals = db.session.execute(delete(ResponseSignal).where(
            ResponseSignal.campaign_id == campaign.id, ResponseSignal.response_id.not_in(held)))
        if gone_changes.rowcount or gone_signals.rowcount:
            out.campaigns += 1
        out.signals += gone_signals.rowcount or 0
        out.changes += gone_changes.rowcount or 0
    return out
