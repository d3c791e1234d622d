"""Staff users with a role and a jurisdiction, and the grids a grid worker visits."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint, true
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
    # A disabled account cannot log in and its sessions end at once.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Stored in the session cookie at login; raising it (logout, disable, password reset) ends
    # every session the user has, on every machine, at their next request.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    district: Mapped["District | None"] = relationship()  # noqa: F821
    street: Mapped["Street | None"] = relationship()  # noqa: F821
    company: Mapped["Company | None"] = relationship()  # noqa: F821
    grids: Mapped[list["UserGrid"]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                   order_by="UserGrid.grid")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    @property
    def grid_names(self) -> list[str]:
        return [g.grid for g in self.grids]

    def snapshot(self) -> dict:
        """The account's fields as an audit event records them (never the password or its hash)."""
        return {"username": self.username, "display_name": self.display_name, "role": self.role,
                "district_id": self.district_id, "street_id": self.street_id, "company_id": self.company_id,
                "active": bool(self.active), "grids": sorted(self.grid_names)}

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class UserGrid(db.Model):
    """One grid (网格, `Building.grid` within the user's street) assigned to a grid worker."""

    __tablename__ = "user_grids"
    __table_args__ = (UniqueConstraint("user_id", "grid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    grid: Mapped[str] = mapped_column(String(64))
    user: Mapped[User] = relationship(back_populates="grids")
