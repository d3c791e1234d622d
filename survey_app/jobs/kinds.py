"""The kinds of job: what each one does, registered by name (survey_app/jobs/labels.py, workbooks.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass
class Outcome:
    """What a job's work gives: the download's name (None: no file), the result page's figures,
    the count to show as done, and `after`, run in the transaction that marks the job done (an
    audit event of a job that only reads); `refused`: the work kept nothing (an import with
    refused rows), said to the owner as the job's failure, its result still shown."""

    file_name: str | None = None
    result: dict | None = None
    done: int | None = None
    after: Callable[[], None] | None = None
    refused: str | None = None


@dataclass
class Kind:
    """A kind of job. `work(job, owner, out, progress)` writes the file to `out` and returns an
    Outcome; `writes`: it changes the database (run in one write transaction with marking it done),
    else it only reads and its transaction is ended before the job is marked done; `lock_first`:
    a writing job's transaction takes SQLite's write lock when it begins (else the work takes it
    itself once it has read and checked its input, as an upload's import does)."""

    name: str
    work: Callable
    writes: bool
    lock_first: bool = True


KINDS: dict[str, Kind] = {}


def kind(name: str, *, writes: bool, lock_first: bool = True):
    """Register the decorated function as the work of the job kind `name`."""
    def register(work):
        KINDS[name] = Kind(name, work, writes, lock_first)
        return work
    return register
