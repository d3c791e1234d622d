"""gunicorn settings for production; household codes never reach the access log."""
import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 120
accesslog = "-"

_CODE = re.compile(r"/s/[A-Za-z0-9_-]{8,}")


class RedactingLogger(Logger):
    """Access log lines with survey codes replaced by /s/[code]."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = _CODE.sub("/s/[code]", atoms[key])
        return atoms


logger_class = RedactingLogger
