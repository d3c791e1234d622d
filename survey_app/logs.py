"""Logging that never writes a household code: survey paths are redacted."""
import logging
import re

from flask import Flask

CODE_IN_PATH = re.compile(r"/s/[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    return CODE_IN_PATH.sub("/s/[code]", text)


class RedactCodes(logging.Filter):
    """Rewrite log records so a survey URL's code never reaches a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def configure(app: Flask) -> None:
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", app.logger.name):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactCodes) for f in logger.filters):
            logger.addFilter(RedactCodes())
