"""SQL aggregation of responses into unit statistics: one GROUP BY per figure asked for.

A unit is a compound, a company, a community, a street, a district or the whole city. Only
sums travel back from the database (n, Σx, Σx², satisfied counts); means, variances and
intervals are computed by survey_app.domain.stats.scoring.UnitStats. Every UnitStats made here
is guarded (stats.privacy): a group of fewer than MIN_GROUP responses shows no figure.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, true

from ...extensions import db
from ...models import Community, Company, Compound, District, Response, Street
from ...models.totals import CompoundTotal, DimensionTotal
from ...access import Area
from .privacy import guard
from .scoring import UnitStats

# The one definition of which responses count (docs/scoring.md): "published" ones in every
# published figure; "held" ones (kept out until an officer reviews them) only when an officer
# asks for the figures with them (`include_held`); "rejected" ones never.
PUBLISHED = ("published",)
WITH_HELD = ("published", "held")
LEVELS = ("compound", "company", "community", "street", "district", "city")

# level → (column grouping responses, column grouping compounds, model naming the unit)
_KEYS = {
    "compound": (Response.compound_id, Compound.id, Compound),
    "company": (Response.company_id, Compound.company_id, Company),
    "community": (Compound.community_id, Compound.community_id, Community),
    "street": (Compound.street_id, Compound.street_id, Street),
    "district": (Compound.district_id, Compound.district_id, District),
}


def statuses(include_held: bool = False) -> tuple[str, ...]:
    """The response statuses a figure counts: PUBLISHED, or WITH_HELD on an officer's switch."""
    return WITH_HELD if include_held else PUBLISHED


def households_by(level: str, area: Area, extra=None) -> dict:
    """{unit key: households} over the compounds of the area (the unit None for the city)."""
    compound_key = _KEYS[level][1] if level != "city" else None
    cols = [compound_key] if compound_key is not None else []
    q = select(*cols, func.sum(Compound.households)).where(area.compound_clause(),
                                                             extra if extra is not None else true())
    if compound_key is not None:
        q = q.group_by(compound_key)
        return {row[0]: int(row[1] or 0) for row in db.session.execute(q)}
    return {None: int(db.session.scalar(q) or 0)}


def _fill(stats: UnitStats, sums) -> UnitStats:
    guard(stats)
    if sums and sums[0]:
        n, total, total_sq, sat, overall_n = sums
        stats.n, stats.total, stats.total_sq = int(n), float(total or 0), float(total_sq or 0)
        stats.satisfied, stats.overall_n = int(sat or 0), int(overall_n or 0)
    return stats


def _names(level: str, ids) -> dict:
    if level == "city":
        return {None: "全市"}
    model = _KEYS[level][2]
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


@dataclass
class AreaSums:
    """An area's response sums per (compound, company answered about) and its households per
    compound, read from the maintained totals (CompoundTotal, Compound.households); the figures of
    every level are folded from them in memory, so a page showing several levels reads them once."""

    places: dict  # compound id → (current company id, community id, street id, district id)
    households: dict  # compound id → households
    sums: dict  # (compound id, company id of the responses) → (n, Σx, Σx², satisfied, overall answered)

    @classmethod
    def load(cls, campaign_id: int, area: Area, include_held: bool = False, extra=None) -> "AreaSums":
        where = (area.compound_clause(), extra if extra is not None else true())
        places, households = {}, {}
        for cid, company, community, street, district, n in db.session.execute(
                select(Compound.id, Compound.company_id, Compound.community_id, Compound.street_id,
                       Compound.district_id, Compound.households).where(*where)):
            places[cid] = (company, community, street, district)
            if n:
                households[cid] = int(n)
        T = CompoundTotal
        q = (select(T.compound_id, T.company_id, func.sum(T.n), func.sum(T.total), func.sum(T.total_sq),
                    func.sum(T.satisfied), func.sum(T.overall_n))
             .join(Compound, Compound.id == T.compound_id)
             .where(T.campaign_id == campaign_id, T.status.in_(statuses(include_held)), *where)
             .group_by(T.compound_id, T.company_id))
        sums = {(row[0], row[1] or None): (int(row[2]), float(row[3] or 0), max(float(row[4] or 0), 0.0),
                                           int(row[5] or 0), int(row[6] or 0))
                for row in db.session.execute(q) if row[2]}
        return cls(places=places, households=households, sums=sums)

    def _place_key(self, level: str, compound_id: int):
        if level == "compound":
            return compound_id
        if level == "city":
            return None
        company, community, street, district = self.places[compound_id]
        return {"company": company, "community": community, "street": street, "district": district}[level]

    def households_by(self, level: str) -> dict:
        """{unit key: households}; a company's are those of the compounds it manages now."""
        out: dict = {None: 0} if level == "city" else {}
        for cid, n in self.households.items():
            k = self._place_key(level, cid)
            out[k] = out.get(k, 0) + n
        for cid in self.places:  # compounds without households still are units
            out.setdefault(self._place_key(level, cid), 0)
        return out

    def unit_stats(self, level: str) -> list[UnitStats]:
        """One UnitStats per unit of `level`, including units nobody has answered for yet."""
        households = self.households_by(level)
        folded: dict = {}
        for (cid, company), v in self.sums.items():
            k = company if level == "company" else self._place_key(level, cid)
            acc = folded.setdefault(k, [0, 0.0, 0.0, 0, 0])
            for i in range(5):
                acc[i] += v[i]
        keys = {None} if level == "city" else set(households) | {k for k in folded if k is not None}
        if level == "company":
            keys.discard(None)  # compounds without a company are not a company
        names = _names(level, keys)
        return [_fill(UnitStats(key=k, label=names.get(k, ""), households=households.get(k, 0)), folded.get(k))
                for k in sorted(keys, key=lambda k: (k is None, k or 0))]


def unit_stats(campaign_id: int, area: Area, level: str, include_held: bool = False, extra=None) -> list[UnitStats]:
    """One UnitStats per unit of `level` in the area, including units nobody has answered for yet.

    A company's households are those of the compounds it manages now; its responses are those
    given while it managed them (Response.company_id).
    """
    return AreaSums.load(campaign_id, area, include_held, extra).unit_stats(level)


def company_stats(campaign_id: int, area: Area, include_held: bool = False, extra=None) -> list[UnitStats]:
    """One UnitStats per company managing a compound in the area (pooled over its compounds)."""
    return unit_stats(campaign_id, area, "company", include_held, extra)


def compound_stats(campaign_id: int, area: Area, include_held: bool = False, extra=None) -> list[UnitStats]:
    """One UnitStats per compound in the area, with the compound itself in `extra`."""
    stats = unit_stats(campaign_id, area, "compound", include_held, extra)
    compounds = {c.id: c for c in db.session.scalars(select(Compound).where(Compound.id.in_([s.key for s in stats])))}
    for s in stats:
        s.extra = {"compound": compounds[s.key]}
    return stats


def dimension_stats(campaign_id: int, area: Area, level: str, include_held: bool = False,
                    extra=None, households: dict | None = None) -> dict[tuple, UnitStats]:
    """{(unit key, dimension id): UnitStats} of per-response dimension scores.

    Read from the maintained totals (survey_app.domain.totals), which hold per compound, company,
    dimension and status what a recomputation from the answers gives. `satisfied` counts
    responses whose mean answer on the dimension is 4 or more.
    """
    T = DimensionTotal
    key = {"company": T.company_id, "compound": T.compound_id}.get(level)
    if key is None and level != "city":
        key = _KEYS[level][1]
    group = ([key] if key is not None else []) + [T.dimension_id]
    q = (select(*group, func.sum(T.n), func.sum(T.total), func.sum(T.total_sq), func.sum(T.satisfied))
         .join(Compound, Compound.id == T.compound_id)
         .where(T.campaign_id == campaign_id, T.status.in_(statuses(include_held)), area.compound_clause(),
                extra if extra is not None else true())
         .group_by(*group))
    if households is None:
        households = households_by(level, area, extra)
    out = {}
    for row in db.session.execute(q):
        k, did, rest = (row[0], row[1], row[2:]) if key is not None else (None, row[0], row[1:])
        if level == "company" and k == 0:
            continue  # compounds without a company
        n, total, total_sq, sat = rest
        if not n:
            continue
        out[(k, did)] = guard(UnitStats(key=did, n=int(n), households=households.get(k, 0), total=float(total),
                                  total_sq=max(float(total_sq), 0.0), satisfied=int(sat), overall_n=int(n)))
    return out


def dimension_stats_by_compound(campaign_id: int, compound_ids=None) -> dict[tuple[int, int], UnitStats]:
    """{(compound_id, dimension_id): UnitStats} over published responses of the given compounds."""
    extra = Compound.id.in_(compound_ids) if compound_ids is not None else None
    return dimension_stats(campaign_id, Area("city"), "compound", extra=extra)
