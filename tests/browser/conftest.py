"""Shared by the browser tests: the system's headless Chromium (never a downloaded browser), a folder
for screenshots (SHOTS_DIR to keep them), the app served by werkzeug on a free local port, and a
staff login through the real form."""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..conftest import need
from ..factories import PASSWORD

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def chromium_path():
    path = _chromium()
    if path is None:
        need("Chromium is not installed (/usr/bin/chromium or `chromium` on PATH)")
    return path


@pytest.fixture(scope="module")
def shots():
    folder = Path(os.environ.get("SHOTS_DIR") or tempfile.mkdtemp(prefix="survey-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("the Python package playwright is not installed (pip install -e .[dev])")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextmanager
def serve(app):
    """Serve the app on 127.0.0.1 at a free port; yield its base URL (also its PUBLIC_BASE_URL)."""
    from werkzeug.serving import make_server

    from survey_app.extensions import db

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        thread.join()
        with app.app_context():
            db.engine.dispose()


def log_in(page, base: str, username: str, landing: str = "/office/**") -> None:
    """Sign in through the login form and wait for the user's landing page."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}{landing}")
    expect(page.locator("header .who")).to_have_text(username)
