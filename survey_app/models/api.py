"""Clients of the /api/v1/ interface: another system (the city's platform, a hotline) with a scope,
rights, a rate limit and a token stored only as a hash."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

LEVELS = ("city", "district", "street")  # the scope of a client, as an access.Area


class ApiClient(db.Model):
    """One system allowed to call the API, seeing the city, one district or one street.

    The token is shown once when the client is created (survey_app/api/clients.py); only its hash
    is kept, and `token_hint` (its first characters) to recognise it by. `rate_limit` is a
    Flask-Limiter string; None follows the API_RATE_LIMIT setting. A street client carries its
    district too (as a street officer's account does).
    """

    __tablename__ = "api_clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16), default="city")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    can_write: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    token_hint: Mapped[str] = mapped_column(String(16), default="")
    rate_limit: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    district: Mapped["District | None"] = relationship()  # noqa: F821
    street: Mapped["Street | None"] = relationship()  # noqa: F821
    created_by: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def area(self):
        """The client's scope as an `access.Area` (city, its district or its street)."""
        from ..access import api_area  # import cycle: access imports the models

        return api_area(self)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def snapshot(self) -> dict:
        """The client's fields as an audit event records them (never the token or its hash)."""
        return {"name": self.name, "scope": self.level, "district_id": self.district_id, "street_id": self.street_id,
                "can_write": bool(self.can_write), "rate_limit": self.rate_limit, "token_hint": self.token_hint}
