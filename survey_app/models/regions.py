"""The administrative tree: district → street → community → compound → building → household."""
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class District(db.Model):
    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    streets: Mapped[list["Street"]] = relationship(back_populates="district", order_by="Street.name")


class Street(db.Model):
    __tablename__ = "streets"
    __table_args__ = (UniqueConstraint("district_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    district: Mapped[District] = relationship(back_populates="streets")
    communities: Mapped[list["Community"]] = relationship(back_populates="street", order_by="Community.name")


class Community(db.Model):
    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("street_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    street: Mapped[Street] = relationship(back_populates="communities")
    compounds: Mapped[list["Compound"]] = relationship(back_populates="community", order_by="Compound.name")


class Compound(db.Model):
    """A residential compound (小区), managed by one property company at a time."""

    __tablename__ = "compounds"
    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    # Denormalised from the tree so scoping and ranking filter without joins.
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    # How many households it has, kept by survey_app.domain.responses.totals (dashboards read it, never count).
    households: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    community: Mapped[Community] = relationship(back_populates="compounds")
    company: Mapped["Company | None"] = relationship(back_populates="compounds")  # noqa: F821
    buildings: Mapped[list["Building"]] = relationship(back_populates="compound", order_by="Building.id")


class Building(db.Model):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("compound_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    grid: Mapped[str | None] = mapped_column(String(64))  # the grid (网格) whose worker visits it
    compound: Mapped[Compound] = relationship(back_populates="buildings")
    households: Mapped[list["Household"]] = relationship(
        back_populates="building", order_by=lambda: household_order()
    )


class Household(db.Model):
    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("building_id", "unit", "room"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    unit: Mapped[str] = mapped_column(String(16), default="")
    room: Mapped[str] = mapped_column(String(16), index=True)  # a search by room alone ("502") across a city
    building: Mapped[Building] = relationship(back_populates="households")

    @property
    def label(self) -> str:
        unit = f"{self.unit}单元" if self.unit else ""
        return f"{self.building.name}{unit}{self.room}室"


def household_order():
    """Visiting order: unit, then room, numbers compared as numbers (101 < 102 < 1001)."""
    return (func.length(Household.unit), Household.unit, func.length(Household.room), Household.room)
