"""Rectification items (整改事项) a company must work through until verified, with their memory:
every move, the photos that show the work, residents' follow-up requests and their confirmations."""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

# open: raised, nobody responsible yet · assigned: given to the company with a deadline ·
# in_progress: the company says it has started · submitted: the company says it is fixed, waiting for
# an officer · returned: sent back by an officer with a reason · verified: an officer saw it fixed ·
# closed: closed without a fix (with a reason; never counted as fixed).
STATUSES = ("open", "assigned", "in_progress", "submitted", "returned", "verified", "closed")
# The states in which the company holds the item: its deadline runs.
COMPANY_HELD = ("assigned", "in_progress", "returned")
FINISHED = ("verified", "closed")
# Where an item came from: a low dimension score, a problem category many respondents named, a
# resident's own request, an officer's inspection, a hotline work order.
SOURCES = ("low_score", "category", "request", "inspection", "hotline")
CONFIRMATION_ANSWERS = ("fixed", "not_fixed", "unsure")


class RectificationItem(db.Model):
    __tablename__ = "rectification_items"
    # De-duplicated per compound and category within a round.
    __table_args__ = (UniqueConstraint("campaign_id", "compound_id", "category_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    dimension_id: Mapped[int | None] = mapped_column(ForeignKey("dimensions.id"))
    # A dimension's key, or "other"; `category` is its label when the item was raised.
    category_key: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(16), default="low_score", server_default="low_score", index=True)
    evidence: Mapped[str] = mapped_column(Text)  # one plain sentence with the figures
    # The evidence's figures as numbers: the dimension's score (0-100) and satisfaction rate, how many
    # answered, and for a category the share of respondents who named it.
    score: Mapped[float | None] = mapped_column(Float)
    rate: Mapped[float | None] = mapped_column(Float)
    respondents: Mapped[int | None] = mapped_column(Integer)
    share: Mapped[float | None] = mapped_column(Float)
    samples: Mapped[str | None] = mapped_column(Text)  # JSON list of sample comments, masked
    description: Mapped[str | None] = mapped_column(Text)  # an inspection's or a hotline case's words
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # a hotline work order id
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    close_reason: Mapped[str | None] = mapped_column(Text)
    # How many times the company submitted it as fixed: residents are asked once per submission.
    submissions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set once the deadline passed while the company held the item; never cleared by a later fix.
    deadline_missed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    note: Mapped[str | None] = mapped_column(Text)  # the office's or company's working note
    compound: Mapped["Compound"] = relationship()  # noqa: F821
    company: Mapped["Company | None"] = relationship()  # noqa: F821
    dimension: Mapped["Dimension | None"] = relationship()  # noqa: F821
    events: Mapped[list["RectificationEvent"]] = relationship(
        back_populates="item", order_by="RectificationEvent.id", cascade="all, delete-orphan")
    photos: Mapped[list["RectificationPhoto"]] = relationship(
        back_populates="item", order_by="RectificationPhoto.id", cascade="all, delete-orphan")

    @hybrid_method
    def overdue_on(self, today: date) -> bool:
        """Past its deadline while the company holds it: one definition, read in Python and in SQL."""
        return self.status in COMPANY_HELD and self.deadline is not None and self.deadline < today

    @overdue_on.inplace.expression
    @classmethod
    def _overdue_on_sql(cls, today: date):
        return cls.status.in_(COMPANY_HELD) & cls.deadline.is_not(None) & (cls.deadline < today)

    @hybrid_method
    def missed_on(self, today: date) -> bool:
        """Missed its deadline, now or at any time before (stays missed after a later fix)."""
        return bool(self.deadline_missed) or self.overdue_on(today)

    @missed_on.inplace.expression
    @classmethod
    def _missed_on_sql(cls, today: date):
        return (cls.deadline_missed == True) | cls._overdue_on_sql(today)  # noqa: E712


class RectificationEvent(db.Model):
    """One move of an item (or a note on it): who, when, from which state to which, and why."""

    __tablename__ = "rectification_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_items.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who, when no user: "system" (a rule), "resident", "import", "api:<client>".
    actor: Mapped[str] = mapped_column(String(64), default="")
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    item: Mapped[RectificationItem] = relationship(back_populates="events")
    user: Mapped["User | None"] = relationship()  # noqa: F821


class RectificationPhoto(db.Model):
    """A photo of an item (an inspection's finding, or the company's work), re-encoded and stored in
    the configured folder under a random name; served only to those who may see the item."""

    __tablename__ = "rectification_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_items.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_events.id", ondelete="SET NULL"))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    item: Mapped[RectificationItem] = relationship(back_populates="photos")


class RectificationRequest(db.Model):
    """A resident's "please follow up on my problem": one per household per round, joined to the item
    of its compound and category. Only for such an item may the company see the household's address."""

    __tablename__ = "rectification_requests"
    __table_args__ = (UniqueConstraint("campaign_id", "household_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_items.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    item: Mapped[RectificationItem] = relationship()
    household: Mapped["Household"] = relationship()  # noqa: F821


class RectificationConfirmation(db.Model):
    """A resident's answer to "has this been fixed?" after the company submitted it (once per submission)."""

    __tablename__ = "rectification_confirmations"
    __table_args__ = (UniqueConstraint("item_id", "household_id", "submission"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_items.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    submission: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(String(12))  # fixed | not_fixed | unsure
    at: Mapped[datetime] = mapped_column(DateTime)
