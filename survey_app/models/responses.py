"""Household codes and the responses given with them."""
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, LargeBinary, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class HouseholdCode(db.Model):
    """A household's key to the survey, stored only as a SHA-256 hash."""

    __tablename__ = "household_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(200))
    household: Mapped["Household"] = relationship()  # noqa: F821
    campaign: Mapped["Campaign"] = relationship()  # noqa: F821


class Response(db.Model):
    """One household's answers in one campaign (one household, one voice).

    At most one response per household and campaign counts or may count: a rejected one (an
    officer found it was not the household's voice) is kept beside it, never counted, and the
    household may answer again with a re-issued code.
    """

    __tablename__ = "responses"
    __table_args__ = (Index("uq_responses_live", "campaign_id", "household_id", unique=True,
                            sqlite_where=text("status != 'rejected'"),
                            postgresql_where=text("status != 'rejected'")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    # The managing company as it was when the household answered.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("household_codes.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    mode: Mapped[str] = mapped_column(String(16), default="self")  # self | assisted
    assisted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # published: counted; held: kept out of published figures until reviewed; rejected: never counted.
    status: Mapped[str] = mapped_column(String(16), default="published", index=True)
    score: Mapped[float | None] = mapped_column(Float)  # the response's 0-100 index
    overall: Mapped[int | None] = mapped_column(SmallInteger)  # answer to the overall question
    comment: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[list["Answer"]] = relationship(back_populates="response", cascade="all, delete-orphan")
    household: Mapped["Household"] = relationship()  # noqa: F821
    compound: Mapped["Compound"] = relationship()  # noqa: F821


class Answer(db.Model):
    """One answer: `value` 1-5 (NULL: "not applicable") for a 5-point question; `choice` (an option key,
    NULL: none of these) for a single-choice question; `text` for a free-text question."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    value: Mapped[int | None] = mapped_column(SmallInteger)
    choice: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)
    response: Mapped[Response] = relationship(back_populates="answers")
    choices: Mapped[list["AnswerChoice"]] = relationship(
        back_populates="answer", order_by="AnswerChoice.id", cascade="all, delete-orphan")


class AnswerChoice(db.Model):
    """One option ticked in a multiple-choice question ("which most need improving?")."""

    __tablename__ = "answer_choices"
    __table_args__ = (UniqueConstraint("answer_id", "option_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    option_key: Mapped[str] = mapped_column(String(40))
    answer: Mapped[Answer] = relationship(back_populates="choices")
