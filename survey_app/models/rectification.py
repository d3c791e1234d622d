"""Rectification items (整改事项) a company must work through until verified."""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

STATUSES = ("open", "in_progress", "submitted", "verified")


class RectificationItem(db.Model):
    __tablename__ = "rectification_items"
    __table_args__ = (UniqueConstraint("campaign_id", "compound_id", "dimension_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    dimension_id: Mapped[int | None] = mapped_column(ForeignKey("dimensions.id"))
    category: Mapped[str] = mapped_column(String(60))
    evidence: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    compound: Mapped["Compound"] = relationship()  # noqa: F821
    company: Mapped["Company | None"] = relationship()  # noqa: F821
    dimension: Mapped["Dimension | None"] = relationship()  # noqa: F821

    @hybrid_method
    def overdue_on(self, today: date):
        """Past its deadline and not verified: one definition, read in Python and in SQL."""
        return (self.status != "verified") & (self.deadline < today)
