"""Campaigns and their questionnaire: weighted dimensions of questions, with stable keys across rounds."""
import secrets
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

SCORED_KIND = "scale"  # 5-point questions; single choice and free text are stored, never scored


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
    # The campaign's own salt for hashing integrity signals (with SECRET_KEY): devices and networks
    # cannot be linked across campaigns; cleared when its signals are purged.
    signal_salt: Mapped[bytes | None] = mapped_column(LargeBinary(32), default=lambda: secrets.token_bytes(32))
    # The round this one was copied from (questionnaire keys carried over), if any.
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    copied_from: Mapped["Campaign | None"] = relationship(remote_side="Campaign.id")
    dimensions: Mapped[list["Dimension"]] = relationship(
        back_populates="campaign", order_by="Dimension.position", cascade="all, delete-orphan"
    )

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


QUESTION_KINDS = ("scale", "choice", "multi", "text")
# 5-point | single choice of problem categories | several of them ("which most need improving?") | free text


class Question(db.Model):
    """A question; only 5-point ("scale") ones are scored. `is_overall` marks the overall question."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("dimension_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("dimensions.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(16), default=SCORED_KIND, server_default=SCORED_KIND)
    # scale: offer "not applicable"; choice: offer "none of these / not applicable".
    allow_na: Mapped[bool] = mapped_column(Boolean, default=True)
    is_overall: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    dimension: Mapped[Dimension] = relationship(back_populates="questions")
    options: Mapped[list["QuestionOption"]] = relationship(
        back_populates="question", order_by="QuestionOption.position", cascade="all, delete-orphan"
    )

    @hybrid_property
    def scored(self) -> bool:
        """Whether answers to it count in the scores: the one definition, in Python and in SQL."""
        return self.kind == SCORED_KIND


class QuestionOption(db.Model):
    """One answer of a single-choice question (a problem category), with a key stable across rounds."""

    __tablename__ = "question_options"
    __table_args__ = (UniqueConstraint("question_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    question: Mapped[Question] = relationship(back_populates="options")


class WordingChange(db.Model):
    """A wording fix made after the questionnaire froze: who, when, and the text it replaced."""

    __tablename__ = "wording_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    target: Mapped[str] = mapped_column(String(100))  # e.g. "question:repair_speed"
    field: Mapped[str] = mapped_column(String(20))  # text | text_en | name | name_en | label | label_en
    old: Mapped[str] = mapped_column(String(300))
    new: Mapped[str] = mapped_column(String(300))
    user: Mapped["User | None"] = relationship()  # noqa: F821
