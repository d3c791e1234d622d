"""Fast bulk inserts with explicit ids (COPY on PostgreSQL, executemany elsewhere), and on
PostgreSQL the tables' foreign keys and secondary indexes made once after a large load
(`indexes_deferred`) instead of kept up to date row by row."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterable, Iterator, Sequence

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


# A table's foreign keys and its unique constraints no other table's foreign key depends on.
_CONSTRAINTS = text(
    "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.conrelid = CAST(:t AS regclass) "
    "AND (c.contype = 'f' OR (c.contype = 'u' AND NOT EXISTS (SELECT 1 FROM pg_constraint f "
    "WHERE f.contype = 'f' AND f.conindid = c.conindid))) ORDER BY c.contype DESC, c.conname")
# Its indexes that no constraint owns (the primary key and unique constraints keep theirs).
_INDEXES = text(
    "SELECT CAST(CAST(i.indexrelid AS regclass) AS text) AS name, pg_get_indexdef(i.indexrelid) FROM pg_index i "
    "WHERE i.indrelid = CAST(:t AS regclass) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
    "WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid) ORDER BY 1")


@contextmanager
def indexes_deferred(*tables: Table) -> Iterator[None]:
    """On PostgreSQL, drop the tables' foreign keys, unique constraints and secondary indexes while
    rows are loaded in bulk, and make them again afterwards, in the same transaction (so they are
    checked once, and a failure leaves everything as it was). A city's seven million answers load
    several times faster. Then the tables are analysed for the planner (on SQLite too)."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        yield
        if conn.dialect.name == "sqlite":  # without statistics SQLite may pick a campaign's index over a compound's
            conn.execute(text("PRAGMA analysis_limit = 1000"))
            for t in tables:
                conn.execute(text(f"ANALYZE {t.name}"))  # nosec B608  # a model's table name
        return
    again: list[str] = []
    for t in tables:
        # Names and definitions below come from the catalogue of the models' own tables, never from input.
        for name, definition in conn.execute(_CONSTRAINTS, {"t": t.name}).all():
            conn.execute(text(f'ALTER TABLE {t.name} DROP CONSTRAINT "{name}"'))  # nosec B608
            again.append(f'ALTER TABLE {t.name} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in conn.execute(_INDEXES, {"t": t.name}).all():
            conn.execute(text(f"DROP INDEX {name}"))  # nosec B608
            again.insert(0, definition)  # indexes before the constraints whose checks they speed up
    yield
    for statement in again:
        conn.execute(text(statement))
    for t in tables:
        conn.execute(text(f"ANALYZE {t.name}"))  # nosec B608  # the planner sees the rows just loaded


def more_memory(maintenance_work_mem: str = "512MB") -> None:
    """On PostgreSQL, let the rest of this transaction build indexes in memory (`SET LOCAL`: the
    connection's own setting comes back at commit). work_mem is left as it is: a larger one turns
    the totals' recomputation into a hash aggregate that spills and takes twice as long. Elsewhere
    nothing."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT set_config('maintenance_work_mem', :m, true)"), {"m": maintenance_work_mem})


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
    """The id after the table's largest (1 when it is empty)."""
    sql = f"SELECT COALESCE(MAX(id), 0) FROM {table.name}"  # nosec B608  # a model's table name, never input
    return (db.session.execute(text(sql)).scalar() or 0) + 1
