"""Property-management companies (物业服务企业)."""
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Company(db.Model):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    compounds: Mapped[list["Compound"]] = relationship(back_populates="company")  # noqa: F821
