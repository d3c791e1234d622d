"""Logging that never writes a household code: survey paths are redacted.

One filter does it for every logger that could see a URL: the app's, werkzeug's development
server and gunicorn's access and error logs (gunicorn.conf.py attaches the same filter, so the
access log is redacted even before the app is loaded).
"""
import logging
import re
from collections.abc import MutableMapping

from flask import Flask

CODE_IN_PATH = re.compile(r"/s/[A-Za-z0-9_-]{8,}")
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    return CODE_IN_PATH.sub("/s/[code]", text)


def _redacted(value):
    return redact(value) if isinstance(value, str) else value


class RedactCodes(logging.Filter):
    """Rewrite log records so a survey URL's code never reaches a log file.

    `record.args` is a tuple for %-style positional messages, or a mapping for %(name)s ones
    (gunicorn's access log passes its atoms that way); the mapping keeps its own type, because
    gunicorn's answers "-" for any atom it does not hold.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, MutableMapping):
            for key, value in list(args.items()):
                if isinstance(value, str) and CODE_IN_PATH.search(value):
                    args[key] = redact(value)
        elif isinstance(args, tuple):
            record.args = tuple(_redacted(a) for a in args)
        elif args:  # a read-only mapping: redact a plain copy
            record.args = {k: _redacted(v) for k, v in args.items()}
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def add_filter(logger: logging.Logger) -> None:
    """Attach the redaction filter to a logger once."""
    if not any(isinstance(f, RedactCodes) for f in logger.filters):
        logger.addFilter(RedactCodes())


def configure(app: Flask) -> None:
    for name in (*LOGGERS, app.logger.name):
        add_filter(logging.getLogger(name))
