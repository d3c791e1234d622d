"""Maintained totals: added to and taken from as responses and rosters change, rebuilt on demand.

Reading figures from ~600,000 responses, ~7 million answers and a million households on every
view takes seconds at city scale; three maintained figures hold what the dashboards need instead:
one DimensionTotal row per (campaign, compound, company, dimension, status), one CompoundTotal
row per (campaign, compound, company, status) and Compound.households. Every change of a response
goes through `remove`/`add` here in the same transaction; households added or removed through the
ORM are counted by a flush hook, bulk inserts call `add_households`. `rebuild` recomputes
everything from the stored rows, and the tests check that both give the same numbers.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import and_, case, delete, event, func, insert, inspect, select, text, update
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import Answer, Compound, Household, Question, Response
from ...models.totals import CompoundTotal, DimensionTotal
from ..stats.scoring import DimensionSpec, dimension_scores

_UPSERT = text(
    "INSERT INTO dimension_totals (campaign_id, compound_id, company_id, dimension_id, status, n, total, "
    "total_sq, satisfied) VALUES (:campaign_id, :compound_id, :company_id, :dimension_id, :status, :n, :total, "
    ":total_sq, :satisfied) "
    "ON CONFLICT (campaign_id, compound_id, company_id, dimension_id, status) DO UPDATE SET "
    "n = dimension_totals.n + excluded.n, total = dimension_totals.total + excluded.total, "
    "total_sq = dimension_totals.total_sq + excluded.total_sq, "
    "satisfied = dimension_totals.satisfied + excluded.satisfied"
)
_COMPOUND_UPSERT = text(
    "INSERT INTO compound_totals (campaign_id, compound_id, company_id, status, n, total, total_sq, satisfied, "
    "overall_n, comments) VALUES (:campaign_id, :compound_id, :company_id, :status, :n, :total, :total_sq, "
    ":satisfied, :overall_n, :comments) "
    "ON CONFLICT (campaign_id, compound_id, company_id, status) DO UPDATE SET "
    "n = compound_totals.n + excluded.n, total = compound_totals.total + excluded.total, "
    "total_sq = compound_totals.total_sq + excluded.total_sq, "
    "satisfied = compound_totals.satisfied + excluded.satisfied, overall_n = compound_totals.overall_n + excluded.overall_n, "
    "comments = compound_totals.comments + excluded.comments"
)
SATISFIED_SCORE = 75.0  # a mean answer of 4 or more on the dimension
SATISFIED_OVERALL = 4  # an answer of 4 or 5 to the overall question


@dataclass(frozen=True)
class Share:
    """What one response adds to the totals: its place, status, dimension scores and index."""

    campaign_id: int
    compound_id: int
    company_id: int
    status: str
    scores: dict[int, float]  # {dimension id: 0-100 score}
    score: float | None  # the index (None: unscored, counted nowhere)
    overall: int | None
    comment: bool


def share(resp: Response, dims: list[DimensionSpec], values: Mapping[int, int | None] | None = None) -> Share:
    """The response's share of the totals as it is now; `values` ({question id: 5-point answer}) are
    its answers when the caller knows them (otherwise its answers are read)."""
    scores = dimension_scores(values, dims) if values is not None else response_scores(resp, dims)
    return Share(resp.campaign_id, resp.compound_id, resp.company_id or 0, resp.status, scores,
                 None if resp.score is None else float(resp.score), resp.overall, bool(resp.comment))


def _apply(moves: list[tuple[Share, int]]) -> None:
    """Add each share times its sign (+1, -1) to the totals: the moves of one key are summed first,
    then one statement per table (a key whose sum is nothing is left alone)."""
    dims: dict[tuple, list] = {}
    compounds: dict[tuple, list] = {}
    for sh, sign in moves:
        where = (sh.campaign_id, sh.compound_id, sh.company_id)
        for did, s in sh.scores.items():
            _sum(dims, where + (did, sh.status), (sign, sign * s, sign * s * s,
                                                  sign * (1 if s >= SATISFIED_SCORE - 1e-9 else 0)))
        if sh.score is not None:
            s, overall = sh.score, sh.overall
            _sum(compounds, where + (sh.status,), (
                sign, sign * s, sign * s * s, sign * (1 if overall is not None and overall >= SATISFIED_OVERALL else 0),
                sign * (1 if overall is not None else 0), sign * (1 if sh.comment else 0)))
    rows = [{"campaign_id": k[0], "compound_id": k[1], "company_id": k[2], "dimension_id": k[3], "status": k[4],
             "n": v[0], "total": v[1], "total_sq": v[2], "satisfied": v[3]} for k, v in dims.items() if any(v)]
    if rows:
        db.session.execute(_UPSERT, rows)
    rows = [{"campaign_id": k[0], "compound_id": k[1], "company_id": k[2], "status": k[3], "n": v[0], "total": v[1],
             "total_sq": v[2], "satisfied": v[3], "overall_n": v[4], "comments": v[5]}
            for k, v in compounds.items() if any(v)]
    if rows:
        db.session.execute(_COMPOUND_UPSERT, rows)


def _sum(into: dict[tuple, list], key: tuple, deltas: tuple) -> None:
    have = into.get(key)
    if have is None:
        into[key] = list(deltas)
    else:
        for i, d in enumerate(deltas):
            have[i] += d


def response_scores(resp: Response, dims: list[DimensionSpec]) -> dict[int, float]:
    """{dimension id: the response's 0-100 score on it} from its answers."""
    return dimension_scores({a.question_id: a.value for a in resp.answers}, dims)


def remove(resp: Response, dims: list[DimensionSpec]) -> None:
    """Take a stored response's current contribution out of the totals (before it changes)."""
    _apply([(share(resp, dims), -1)])


def add(resp: Response, dims: list[DimensionSpec], values: Mapping[int, int | None] | None = None) -> None:
    """Put a response's contribution into the totals (after it changed); `values` as in `share`."""
    _apply([(share(resp, dims, values), +1)])


def replace(before: Share, resp: Response, dims: list[DimensionSpec],
            values: Mapping[int, int | None] | None = None) -> None:
    """Move a changed response's contribution: take `before` (its `share` before the change) out and
    put its share now in, in one statement per table; `values` as in `share`."""
    _apply([(before, -1), (share(resp, dims, values), +1)])


def set_status(resp: Response, status: str, dims: list[DimensionSpec]) -> None:
    """Hold a response for review or publish it, moving its contribution with it; the caller commits."""
    if resp.status == status:
        return
    before = share(resp, dims)
    resp.status = status
    replace(before, resp, dims)


def recomputed(campaign_id: int):
    """A select of what the totals must hold, computed from the answers themselves."""
    per_response = (
        select(Response.compound_id.label("compound_id"),
               func.coalesce(Response.company_id, 0).label("company_id"),
               Question.dimension_id.label("dimension_id"), Response.status.label("status"),
               ((func.avg(Answer.value * 1.0) - 1) * 25.0).label("s"))
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(Response.campaign_id == campaign_id, Answer.value.is_not(None))
        .group_by(Response.id, Response.compound_id, Response.company_id, Question.dimension_id, Response.status)
    ).subquery()
    c = per_response.c
    return select(c.compound_id, c.company_id, c.dimension_id, c.status, func.count(), func.sum(c.s),
                  func.sum(c.s * c.s), func.sum(case((c.s >= SATISFIED_SCORE - 1e-9, 1), else_=0))
                  ).group_by(c.compound_id, c.company_id, c.dimension_id, c.status)


def recomputed_compounds(campaign_id: int):
    """A select of what the compound totals must hold, computed from the responses themselves."""
    company = func.coalesce(Response.company_id, 0)
    return (select(Response.compound_id, company, Response.status, func.count(), func.sum(Response.score),
                   func.sum(Response.score * Response.score),
                   func.sum(case((Response.overall >= SATISFIED_OVERALL, 1), else_=0)), func.count(Response.overall),
                   func.sum(case((and_(Response.comment.is_not(None), Response.comment != ""), 1), else_=0)))
            .where(Response.campaign_id == campaign_id, Response.score.is_not(None))
            .group_by(Response.compound_id, company, Response.status))


def rebuild(campaign_id: int) -> int:
    """Recompute the campaign's totals from its responses and answers, and every compound's households;
    return the number of dimension rows written."""
    db.session.execute(delete(DimensionTotal).where(DimensionTotal.campaign_id == campaign_id))
    rows = [{"campaign_id": campaign_id, "compound_id": k, "company_id": co, "dimension_id": d, "status": st,
             "n": int(n), "total": float(t), "total_sq": float(tq), "satisfied": int(sat)}
            for k, co, d, st, n, t, tq, sat in db.session.execute(recomputed(campaign_id))]
    if rows:
        db.session.execute(insert(DimensionTotal), rows)
    db.session.execute(delete(CompoundTotal).where(CompoundTotal.campaign_id == campaign_id))
    compound_rows = [{"campaign_id": campaign_id, "compound_id": k, "company_id": co, "status": st, "n": int(n),
                      "total": float(t), "total_sq": float(tq), "satisfied": int(sat), "overall_n": int(on),
                      "comments": int(cm)}
                     for k, co, st, n, t, tq, sat, on, cm in db.session.execute(recomputed_compounds(campaign_id))]
    if compound_rows:
        db.session.execute(insert(CompoundTotal), compound_rows)
    recount_households()
    return len(rows)


def counted_households():
    """A select of (compound id, households) counted from the roster itself."""
    return select(Household.compound_id, func.count()).group_by(Household.compound_id)


def recount_households() -> None:
    """Set every compound's households to a count of its roster."""
    counted = (select(func.count()).where(Household.compound_id == Compound.id)
               .correlate(Compound).scalar_subquery())
    db.session.execute(update(Compound.__table__).values(households=counted))
    _expire_households(db.session(), None)


def add_households(by_compound: dict[int, int]) -> None:
    """Households inserted (or, negative, deleted) around the ORM, per compound: {compound id: how many}."""
    _add_households(db.session(), by_compound)
    _expire_households(db.session(), set(by_compound))


def _add_households(session, by_compound) -> None:
    t = Compound.__table__
    conn = session.connection()
    for compound_id, k in by_compound.items():
        if k and compound_id is not None:
            conn.execute(update(t).where(t.c.id == compound_id).values(households=t.c.households + k))


def _expire_households(session, compound_ids) -> None:
    """Loaded compounds (those of `compound_ids`, or all) read their household counts again when next used."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Compound) and (compound_ids is None or inspect(obj).identity[0] in compound_ids):
            session.expire(obj, ["households"])


@event.listens_for(Session, "after_flush")
def _count_flushed_households(session, _context) -> None:
    """Households the ORM inserts, deletes or moves to another compound change the compounds' counts."""
    moved: Counter = Counter()
    for obj in session.new:
        if isinstance(obj, Household):
            moved[obj.compound_id] += 1
    for obj in session.deleted:
        if isinstance(obj, Household):
            history = inspect(obj).attrs.compound_id.history
            moved[(history.deleted or history.unchanged or [obj.compound_id])[0]] -= 1
    for obj in session.dirty:
        if isinstance(obj, Household):
            history = inspect(obj).attrs.compound_id.history
            for old in history.deleted:
                moved[old] -= 1
            for new in history.added:
                moved[new] += 1
    if not any(moved.values()):
        return
    _add_households(session, moved)
    session.info.setdefault("recounted_compounds", set()).update(moved)


@event.listens_for(Session, "after_flush_postexec")
def _expire_counted(session, _context) -> None:
    """Compounds loaded in the session read their new household counts again when next used."""
    ids = session.info.pop("recounted_compounds", None)
    if ids:
        _expire_households(session, ids)
