"""The app under real gunicorn with the project's gunicorn.conf.py, as in production.

One access line per request and no household code in it (the path or the Referer), no logging
error; Strict-Transport-Security and a Server header without a version; the client address
behind one trusted proxy reaches the audit trail.
"""
import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = "AbCdEfGhIjKlMnOpQrStUv"
OTHER_CODE = "ZyXwVuTsRqPoNmLkJiHgFe"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        return resp
    finally:
        conn.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """gunicorn -c gunicorn.conf.py in production mode on a free port, its database migrated."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    db_url = f"sqlite:///{tmp / 'survey.db'}"
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": "x" * 64, "DATABASE_URL": db_url,
           "PUBLIC_BASE_URL": "https://survey.example", "TRUSTED_PROXIES": "1", "PYTHONPATH": str(ROOT)}
    env.pop("FLASK_APP", None)
    migrated = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    port = _free_port()
    out, err = tmp / "stdout.log", tmp / "stderr.log"
    with open(out, "w") as o, open(err, "w") as e:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                 "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "wsgi:app"],
                                cwd=ROOT, env=env, stdout=o, stderr=e)
    try:
        deadline = time.monotonic() + 300  # a readiness wait on a busy machine, not a timing assertion
        while True:
            assert proc.poll() is None, err.read_text()[-3000:]
            try:
                _get(port, "/login")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer: " + err.read_text()[-3000:]
                time.sleep(0.2)
        responses = {
            "code": _get(port, f"/s/{CODE}?lang=en", {"Referer": f"https://survey.example/s/{OTHER_CODE}",
                                                      "X-Forwarded-For": "203.0.113.77"}),
            "page": _get(port, "/login"),
            "survey": _get(port, "/s/"),
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    yield {"responses": responses, "stdout": out.read_text(), "stderr": err.read_text(),
           "db": tmp / "survey.db"}


def test_one_access_line_per_request_without_codes(served):
    lines = [line for line in served["stdout"].splitlines() if '"GET ' in line]
    # The readiness probe(s) and the three requests, one line each.
    assert len([line for line in lines if "GET /s/" in line]) == 2
    assert len([line for line in lines if "GET /login" in line]) >= 2
    code_line = next(line for line in lines if "GET /s/[code]" in line)
    assert '" 404 ' in code_line and "/s/[code]?lang=en" in code_line
    everything = served["stdout"] + served["stderr"]
    assert CODE not in everything and OTHER_CODE not in everything
    assert CODE[:8] not in everything and OTHER_CODE[:8] not in everything
    assert "TypeError" not in everything and "Traceback" not in everything and "Logging error" not in everything


def test_production_sends_hsts_and_no_server_version(served):
    for resp in served["responses"].values():
        assert re.fullmatch(r"max-age=\d{7,}", resp.getheader("Strict-Transport-Security") or "")
        server = resp.getheader("Server") or ""
        assert not re.search(r"\d", server) and "/" not in server


def test_the_client_behind_the_trusted_proxy_is_recorded(served):
    with sqlite3.connect(served["db"]) as conn:
        rows = conn.execute("SELECT action, ip FROM audit_events WHERE category = 'security'").fetchall()
    assert rows == [("code.unknown", "203.0.113.77")]


def test_several_workers_counting_limits_in_memory_are_warned_of(monkeypatch):
    import runpy
    from types import SimpleNamespace

    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    said = []
    log = SimpleNamespace(warning=lambda msg, *args: said.append(msg % args))
    for workers, uri in ((2, None), (2, "memory://"), (1, None), (4, "redis://cache:6379/0")):
        if uri is None:
            monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
        else:
            monkeypatch.setenv("RATELIMIT_STORAGE_URI", uri)
        hooks["when_ready"](SimpleNamespace(cfg=SimpleNamespace(workers=workers), log=log))
    assert len(said) == 2 and all("each of the 2 workers" in s and "redis://" in s for s in said)
