"""Defaults that cannot leak: no shared secret key, HSTS only where HTTPS is promised, codes out of logs."""
import logging
import os
import stat
import subprocess
from pathlib import Path

from gunicorn.glogging import SafeAtoms

from survey_app import config as config_module
from survey_app import create_app
from survey_app.logs import RedactCodes

from .conftest import make_config

ROOT = Path(__file__).resolve().parent.parent
CODE = "AbCdEfGhIjKlMnOpQrStUv"


def test_dev_script_writes_a_private_random_key_once(tmp_path):
    instance = tmp_path / "instance"
    run = ["bash", "-c", f'. "{ROOT}/scripts/_secret_key.sh" && ensure_secret_key "{instance}"']
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    subprocess.run(run, check=True, env=env, capture_output=True)
    key_file = instance / "secret_key"
    first = key_file.read_text().strip()
    assert len(first) == 64 and int(first, 16)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    subprocess.run(run, check=True, env=env, capture_output=True)
    assert key_file.read_text().strip() == first  # kept: sessions survive a restart
    other = tmp_path / "other"
    subprocess.run(["bash", "-c", f'. "{ROOT}/scripts/_secret_key.sh" && ensure_secret_key "{other}"'],
                   check=True, env=env, capture_output=True)
    assert (other / "secret_key").read_text().strip() != first  # every checkout its own


def test_development_key_comes_from_the_environment_or_the_instance_file_never_a_fixed_value(
        tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config_module, "SECRET_KEY_FILE", tmp_path / "secret_key")
    a, b = config_module._development_secret_key(), config_module._development_secret_key()
    assert a != b and len(a) == 64  # no file yet: random for this process
    (tmp_path / "secret_key").write_text("k" * 64 + "\n")
    assert config_module._development_secret_key() == "k" * 64
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert config_module._development_secret_key() == "from-the-environment"
    assert "dev-only-not-secret" not in (ROOT / "survey_app" / "config.py").read_text()


def test_hsts_only_when_configured(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    plain = create_app(make_config(url)).test_client().get("/login")
    assert "Strict-Transport-Security" not in plain.headers
    strict = create_app(make_config(url, HSTS_MAX_AGE=31536000)).test_client().get("/login")
    assert strict.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert config_module.ProductionConfig.HSTS_MAX_AGE >= 180 * 24 * 3600


def test_redaction_keeps_gunicorn_atoms_a_mapping():
    atoms = SafeAtoms({"r": f"GET /s/{CODE}?lang=en HTTP/1.1", "U": f"/s/{CODE}", "f": f"https://x/s/{CODE}",
                       "s": 302, "{x-forwarded-for}i": "203.0.113.1"})
    rec = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1,
                            '"%(r)s" %(s)s "%(f)s" %({x-forwarded-for}i)s %({user-agent}i)s', (atoms,), None)
    assert RedactCodes().filter(rec)
    line = rec.getMessage()
    assert CODE not in line
    assert line == '"GET /s/[code]?lang=en HTTP/1.1" 302 "https://x/s/[code]" 203.0.113.1 -'


def test_redaction_of_positional_arguments():
    rec = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"%s" %s', (f"GET /s/{CODE} HTTP/1.1", 302), None)
    RedactCodes().filter(rec)
    assert rec.getMessage() == '"GET /s/[code] HTTP/1.1" 302'
