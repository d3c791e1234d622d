"""What the detectors see of one response: its signals and a summary of its answers, never who
the household is (the ids only join rows; no address, no answers one by one)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Change:
    """A later submission that replaced the household's answers."""

    at: datetime
    device: bytes | None  # keyed hash of the device cookie that made the change
    network: bytes | None  # keyed hash of its network prefix
    new_device: bool  # made from a device other than the one that answered before
    score_before: float | None  # the response's 0-100 index before and after the change
    score_after: float | None


@dataclass(frozen=True, slots=True)
class Row:
    """One response as the detectors see it."""

    response_id: int
    household_id: int
    compound_id: int
    company_id: int | None
    mode: str  # "self" | "assisted"
    worker_id: int | None  # the grid worker who filled in an assisted answer
    opened_at: datetime | None  # first opening of the survey page on the answering device
    submitted_at: datetime  # first submission
    duration: float | None  # seconds from that opening to the first submission
    device: bytes | None  # keyed hash of the device cookie that first answered
    network: bytes | None  # keyed hash of the network prefix (IPv4 /24, IPv6 /48)
    agent: bytes | None  # keyed hash of the user agent
    score: float | None  # the response's 0-100 index now
    overall: int | None  # the answer (1-5) to the overall question now
    uniform: bool  # every 5-point answer given the same value (at least 5 answered)
    comment: str | None  # the comment and free-text answers as typed (the detectors normalise)
    changes: tuple[Change, ...] = ()
    decision: str | None = None  # "accepted" or "rejected" once an officer decided, else None
