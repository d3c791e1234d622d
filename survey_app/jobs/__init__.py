"""The job queue: long work (label PDFs, large workbooks, large imports) run by `flask jobs worker`
on huey, embedded (a SQLite queue file) by default and on Redis in production.

queue.py: the huey made from the app's config, the progress store, `ping`; core.py: submit,
progress, finish, fail, a user's jobs, sweeping; runner.py: one job run in a worker; kinds.py
with labels.py and workbooks.py: what each kind of job does. See docs/operations.md "Jobs".
"""
from . import core, queue


def health() -> bool:
    """True when the queue's store answers (for /healthz)."""
    return queue.ping()


__all__ = ["core", "health", "queue"]
