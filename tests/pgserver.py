"""Start a throwaway PostgreSQL server for the tests (initdb + pg_ctl in a temp directory)."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A private server on 127.0.0.1; PostgreSQL refuses to run as root, so root runs it as `postgres`."""

    def __init__(self):
        self.initdb, self.pg_ctl = _binary("initdb"), _binary("pg_ctl")
        self.dir = None
        self.port = None
        self.runas: list[str] = []

    @property
    def available(self) -> bool:
        return bool(self.initdb and self.pg_ctl)

    def start(self) -> str:
        self.dir = tempfile.mkdtemp(prefix="survey-pg-")
        os.chmod(self.dir, 0o755)
        data = os.path.join(self.dir, "data")
        if os.geteuid() == 0:
            user = "postgres" if _user_exists("postgres") else "nobody"
            pw = pwd.getpwnam(user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.runas = ["runuser", "-u", user, "--"]
        self.port = _free_port()
        self._run([self.initdb, "-D", data, "-A", "trust", "-U", "test", "-E", "UTF8", "--locale=C", "--no-sync"])
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
        self._run([self.pg_ctl, "-D", data, "-o", opts, "-l", os.path.join(self.dir, "log"), "-w", "start"])
        return f"postgresql+psycopg://test@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://test@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=test dbname=postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.dir:
            subprocess.run(self.runas + [self.pg_ctl, "-D", os.path.join(self.dir, "data"), "-m", "immediate",
                                         "stop"], capture_output=True)
            shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, cmd: list[str]) -> None:
        res = subprocess.run(self.runas + cmd, capture_output=True, text=True, cwd=self.dir)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {res.stdout}\n{res.stderr}")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
