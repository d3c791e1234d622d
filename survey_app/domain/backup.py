"""Back-ups of the database and restoring them: SQLite through its online backup API (safe while
the app runs), PostgreSQL through `pg_dump -Fc` and `pg_restore --clean --if-exists`.

The database is named by its SQLAlchemy URL. PostgreSQL's connection settings reach the tools
through the environment (PGHOST, PGPASSWORD, ...), never their command line, where any user of
the machine could read a password.
"""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess  # nosec B404  # pg_dump / pg_restore, run without a shell
import tempfile
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy.engine import URL, make_url

from ..errors import Conflict, Invalid

PAGES_PER_STEP = 1024  # SQLite copies this many pages at a time, letting the app's writers in between
# libpq settings a URL's query may carry, passed on as their environment variables
PG_QUERY_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
                "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT", "application_name": "PGAPPNAME"}


def kind(url: URL | str) -> str:
    """"sqlite" or "postgresql" for a database URL, else Invalid."""
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise Invalid(_("不支持备份此类数据库：%(name)s", name=name))
    return name


def create(url: URL | str, path: str | os.PathLike) -> Path:
    """Write a back-up of the database at `url` to `path` (replaced only once the copy is complete)."""
    target = Path(path)
    if target.is_dir():
        raise Invalid(_("备份路径是一个文件夹，请给出文件名：%(path)s", path=target))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if kind(url) == "sqlite":
        _sqlite_copy(_sqlite_file(url), partial)
    else:
        _run_pg(url, "pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file", str(partial)])
    os.replace(partial, target)
    return target


def restore(url: URL | str, path: str | os.PathLike) -> None:
    """Replace the database at `url` with the back-up at `path` (made by `create` for the same kind).

    Stop the app (or at least its writers) first: what they write during the restore is lost.
    """
    source = Path(path)
    if not source.is_file():
        raise Invalid(_("找不到备份文件：%(path)s", path=source))
    if kind(url) == "sqlite":
        check_sqlite(source)
        _sqlite_copy(source, Path(_sqlite_file(url)))
    else:
        _run_pg(url, "pg_restore", ["--clean", "--if-exists", "--no-owner", "--no-privileges",
                                    "--single-transaction", "--exit-on-error", str(source)], dbname_flag=True)


def check_sqlite(path: Path) -> None:
    """Refuse a file that is not a sound SQLite database (PRAGMA integrity_check)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as e:
        raise Invalid(_("备份文件不是可用的 SQLite 数据库：%(error)s", error=e)) from None
    if not result or result[0] != "ok":
        raise Invalid(_("备份文件已损坏：%(error)s", error=result[0] if result else "?"))


def _sqlite_file(url: URL | str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise Invalid(_("只能备份存放在文件中的 SQLite 数据库。"))
    return database


def _sqlite_copy(source: str | Path, target: Path) -> None:
    """Copy one SQLite database into another, page by page, as one consistent snapshot."""
    with sqlite3.connect(str(source)) as src, sqlite3.connect(str(target)) as dst:
        src.execute("PRAGMA busy_timeout=10000")
        dst.execute("PRAGMA busy_timeout=10000")
        src.backup(dst, pages=PAGES_PER_STEP)
    src.close()
    dst.close()


def pg_binary(name: str) -> str:
    """The path of pg_dump or pg_restore: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                                              key=_version_key, reverse=True)), None)
    if not found:
        raise Conflict(_("找不到 %(name)s：请安装 PostgreSQL 客户端工具。", name=name))
    return found


def _version_key(path: str) -> tuple:
    version = Path(path).parent.parent.name
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def pg_environment(url: URL | str) -> dict[str, str]:
    """The environment that points libpq's tools at the database of `url` (password included)."""
    u = make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {"PGHOST": u.host, "PGPORT": u.port, "PGUSER": u.username, "PGPASSWORD": u.password,
              "PGDATABASE": u.database}
    for key, var in PG_QUERY_ENV.items():
        if key in u.query:
            value = u.query[key]
            values[var] = value if isinstance(value, str) else value[-1]
    env.update({k: str(v) for k, v in values.items() if v not in (None, "")})
    return env


def _run_pg(url: URL | str, tool: str, args: list[str], dbname_flag: bool = False) -> None:
    env = pg_environment(url)
    if dbname_flag:  # pg_restore needs the database named to restore into it (no secrets in a name)
        args = ["--dbname", env.get("PGDATABASE", "postgres"), *args]
    with tempfile.TemporaryFile() as err:
        done = subprocess.run([pg_binary(tool), *args], env=env, stdout=subprocess.DEVNULL, stderr=err,  # nosec B603  # fixed tool, argument list, no shell
                              check=False)
        err.seek(0)
        message = err.read().decode("utf-8", "replace").strip()
    if done.returncode != 0:
        raise Conflict(_("%(tool)s 失败：%(error)s", tool=tool, error=message[-2000:] or done.returncode))
