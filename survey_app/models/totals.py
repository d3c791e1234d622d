"""Running totals of per-response dimension scores, kept equal to a full recomputation."""
from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DimensionTotal(db.Model):
    """Σ over one compound's responses (given while `company_id` managed it) of one dimension's score.

    company_id is 0 for a compound without a company (a NULL would defeat the unique key).
    """

    __tablename__ = "dimension_totals"
    __table_args__ = (UniqueConstraint("campaign_id", "compound_id", "company_id", "dimension_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    company_id: Mapped[int] = mapped_column(Integer, default=0)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("dimensions.id"))
    status: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    total_sq: Mapped[float] = mapped_column(Float, default=0.0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)


class CompoundTotal(db.Model):
    """Σ over one compound's scored responses (given while `company_id` managed it) of the response index.

    What the ranking folds per unit: n, Σscore, Σscore², satisfied (overall answer ≥ 4) and overall_n
    (overall question answered); comments: how many of these responses carry a comment (what the
    company page counts). company_id is 0 for a compound without a company.
    """

    __tablename__ = "compound_totals"
    __table_args__ = (UniqueConstraint("campaign_id", "compound_id", "company_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    company_id: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    total_sq: Mapped[float] = mapped_column(Float, default=0.0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    overall_n: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
