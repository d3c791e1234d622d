"""Bulk loading: rows written with explicit ids, the tables' indexes and foreign keys the same after a
deferred load, and still checked (a broken row refuses the load)."""
import sqlite3

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from survey_app.domain.bulk import indexes_deferred, insert_rows, next_id, reset_sequences
from survey_app.domain.responses.survey import ParsedSurvey, save_response
from survey_app.models import Answer, Response

from ..factories import households_of


def _schema(db, table: str) -> tuple:
    found = inspect(db.session.connection())
    return (sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(table)),
            sorted((tuple(f["constrained_columns"]), f["referred_table"]) for f in found.get_foreign_keys(table)),
            sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(table)))


def _response(world, household) -> Response:
    scored = {q.id: 4 for q in world.campaign.questions if q.scored}
    return save_response(world.campaign, household.id, ParsedSurvey(answers=scored))


def test_a_deferred_load_keeps_the_indexes_and_foreign_keys(world, db):
    resp = _response(world, households_of(world.k1)[0])
    before = _schema(db, "answers")
    first = next_id(Answer.__table__)
    extra = [q for q in world.campaign.questions if q.id not in {a.question_id for a in resp.answers}]
    with indexes_deferred(Answer.__table__):
        insert_rows(Answer.__table__, ("id", "response_id", "question_id", "value"),
                    [(first + i, resp.id, q.id, None) for i, q in enumerate(extra)])
    reset_sequences(Answer.__table__)
    assert _schema(db, "answers") == before
    stored = db.session.scalars(select(Answer.id).where(Answer.response_id == resp.id, Answer.id >= first)).all()
    assert len(stored) == len(extra)
    more = _response(world, households_of(world.k1)[1])  # the ORM's next ids go on after the loaded rows
    assert min(a.id for a in more.answers) > first + len(extra) - 1


def test_a_broken_row_refuses_a_deferred_load(world, db):
    resp = _response(world, households_of(world.k1)[0])
    taken = resp.answers[0].question_id
    # PostgreSQL refuses it when the unique constraint is made again; SQLite (nothing deferred) at once.
    with pytest.raises((IntegrityError, sqlite3.IntegrityError)):
        with indexes_deferred(Answer.__table__, Response.__table__):
            insert_rows(Answer.__table__, ("id", "response_id", "question_id", "value"),
                        [(next_id(Answer.__table__), resp.id, taken, 3)])  # a second answer to the same question
