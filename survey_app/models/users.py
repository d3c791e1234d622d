"""Staff users with a role and a jurisdiction."""
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db

# city: all; district: one district; street / grid: one street; company: one company's compounds.
ROLES = ("city", "district", "street", "grid", "company")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(16))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    district: Mapped["District | None"] = relationship()  # noqa: F821
    street: Mapped["Street | None"] = relationship()  # noqa: F821
    company: Mapped["Company | None"] = relationship()  # noqa: F821

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
