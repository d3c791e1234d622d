"""Campaigns and their questionnaire: weighted dimensions of 5-point questions."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Campaign(db.Model):
    """One round of measurement (测评活动) over a scope, open between two times."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    scope_level: Mapped[str] = mapped_column(String(16), default="city")  # city | district | street
    scope_id: Mapped[int | None] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(DateTime)
    closes_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")  # draft | open | closed
    # Ranking eligibility: a unit needs at least this many responses and this coverage.
    min_responses: Mapped[int] = mapped_column(Integer, default=10)
    min_coverage: Mapped[float] = mapped_column(Float, default=0.10)
    comment_label: Mapped[str] = mapped_column(String(200), default="您还有什么意见或建议？（选填）")
    dimensions: Mapped[list["Dimension"]] = relationship(
        back_populates="campaign", order_by="Dimension.position", cascade="all, delete-orphan"
    )

    def is_open_at(self, when: datetime) -> bool:
        return self.status == "open" and self.opens_at <= when < self.closes_at

    @property
    def questions(self) -> list["Question"]:
        return [q for d in self.dimensions for q in d.questions]


class Dimension(db.Model):
    """A weighted group of questions (测评维度)."""

    __tablename__ = "dimensions"
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    weight: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer, default=0)
    campaign: Mapped[Campaign] = relationship(back_populates="dimensions")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="dimension", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(db.Model):
    """A 5-point question; `is_overall` marks the overall-satisfaction question."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("dimension_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("dimensions.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str] = mapped_column(String(300), default="")
    allow_na: Mapped[bool] = mapped_column(Boolean, default=True)
    is_overall: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    dimension: Mapped[Dimension] = relationship(back_populates="questions")
