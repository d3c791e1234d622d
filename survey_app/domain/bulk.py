"""Fast bulk inserts with explicit ids (COPY on PostgreSQL, executemany elsewhere)."""
from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import Table, text

from ..extensions import db


def insert_rows(table: Table, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert tuples into `table` inside the session's transaction."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        cols = ", ".join(columns)
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    # Table and column names come from the models and the caller's code, never from input.
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"  # nosec B608  # names, not input
    raw = conn.connection.driver_connection
    cur = raw.cursor()
    # Values stored as the ORM stores them (a datetime always with its microseconds, say).
    processors = [(i, p) for i, p in enumerate(table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
                                               for c in columns) if p is not None]
    batch: list = []
    for row in rows:
        if processors:
            row = list(row)
            for i, process in processors:
                row[i] = process(row[i])
        batch.append(tuple(row))
        if len(batch) >= 20000:
            cur.executemany(sql, batch)
            batch.clear()
    if batch:
        cur.executemany(sql, batch)


def reset_sequences(*tables: Table) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past the largest id."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        sql = (f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "  # nosec B608  # a model's table name
               f"COALESCE((SELECT MAX(id) FROM {t.name}), 0) + 1, false)")
        conn.execute(text(sql))


def next_id(table: Table) -> int:
    sql = f"SELECT COALESCE(MAX(id), 0) FROM {table.name}"  # nosec B608  # a model's table name, never input
    return (db.session.execute(text(sql)).scalar() or 0) + 1
