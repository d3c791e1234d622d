"""What is kept to tell one household's voice from a cheat's: signals per response, later changes.

Only keyed hashes of the device cookie, the network prefix and the user agent are stored (the
campaign's own key, `domain.integrity.signals`), never an address or a cookie itself; all of it is
purged INTEGRITY_SIGNAL_DAYS after the campaign closes (`flask integrity purge`).
"""
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class ResponseSignal(db.Model):
    """One response's signals, the integrity checks' flags on it and an officer's decision."""

    __tablename__ = "response_signals"
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)  # survey first opened on the answering device
    submitted_at: Mapped[datetime] = mapped_column(DateTime)  # first submission
    duration: Mapped[float | None] = mapped_column(Float)  # seconds from opening to first submission
    device_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)  # the first answering device
    last_device_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))  # the device that saved it last
    network_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    agent_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    uniform: Mapped[bool] = mapped_column(Boolean, default=False)  # every 5-point answer the same
    flags: Mapped[list | None] = mapped_column(JSON)  # the last scan's flags (detectors.Flag.to_dict)
    scanned_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision: Mapped[str | None] = mapped_column(String(16))  # accepted | rejected, by an officer
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    response: Mapped["Response"] = relationship()  # noqa: F821


class ResponseChange(db.Model):
    """A later submission that replaced a household's answers: when, from which device, how far."""

    __tablename__ = "response_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    device_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    network_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    new_device: Mapped[bool] = mapped_column(Boolean, default=False)
    score_before: Mapped[float | None] = mapped_column(Float)
    score_after: Mapped[float | None] = mapped_column(Float)
