"""An append-only record of staff actions and security events: who did what, when, from where.

`category` is "staff" for a staff member's action (with the state before and after, as JSON, for
changes) and "security" for what an attacker would leave behind (failed logins, unknown codes,
rate limits hit, refusals). The area and company columns say whose jurisdiction an event belongs
to, so an admin sees the events of their own jurisdiction only; they are plain numbers, not
foreign keys, so the record outlives what it names.
"""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_category_at", "category", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    category: Mapped[str] = mapped_column(String(16), default="staff", server_default="staff")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(64), default="", server_default="")  # username at the time
    ip: Mapped[str] = mapped_column(String(45), default="", server_default="")
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[str | None] = mapped_column(Text)  # JSON of the changed fields, for changes
    after: Mapped[str | None] = mapped_column(Text)
    district_id: Mapped[int | None] = mapped_column(Integer, index=True)
    street_id: Mapped[int | None] = mapped_column(Integer, index=True)
    company_id: Mapped[int | None] = mapped_column(Integer)
