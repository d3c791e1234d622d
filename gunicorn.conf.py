"""gunicorn settings for production; household codes never reach the access log.

The access log is redacted by the app's own filter (survey_app.logs.RedactCodes), attached here
to gunicorn's loggers so one rule redacts every log. The Server header names no version.
"""
import os

import gunicorn.http.wsgi
from gunicorn.glogging import Logger

from survey_app.logs import add_filter

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Processes do the Python work (one core each): about one per core.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# One thread per worker (gunicorn's sync worker, behind the proxy that buffers slow clients): threads
# of one process share its interpreter lock, and under load they made 1-2% of requests wait
# 100-400 ms and cost more CPU per request (docs/operations.md, "Survey load").
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A worker silent this long is killed and replaced (a request's transaction rolls back); the proxy's
# read timeout should match. Long work (labels, city workbooks) runs as jobs, not in a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# Each worker imports the app itself: no database or Redis connection is opened before a fork and
# shared by two processes. Costs a second of start-up per worker; the questionnaires kept in memory
# are per worker either way (docs/architecture.md, "The survey path").
preload_app = False
accesslog = "-"

# Responses carry "Server: gunicorn" whatever the installed version (no version to look up).
gunicorn.http.wsgi.SERVER = "gunicorn"


class RedactingLogger(Logger):
    """gunicorn's logger with the app's code-redacting filter on its access and error logs."""

    def setup(self, cfg):
        super().setup(cfg)
        add_filter(self.access_log)
        add_filter(self.error_log)


logger_class = RedactingLogger


def when_ready(server):
    """Say at start when several workers would each count the rate limits in their own memory
    (RATELIMIT_STORAGE_URI unset or memory://): an address then gets as many tries as there are
    workers. Production sets redis://... (README, "Production")."""
    uri = os.environ.get("RATELIMIT_STORAGE_URI", "") or "memory://"
    if server.cfg.workers > 1 and uri.startswith("memory://"):
        server.log.warning("RATELIMIT_STORAGE_URI is %s: each of the %s workers counts rate limits on its own; "
                           "set it to redis://... so that they share them", uri, server.cfg.workers)
