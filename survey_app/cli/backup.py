"""`flask backup create|restore PATH`: a back-up of the database (SQLite online backup API, or
`pg_dump -Fc`) and restoring one (replacing everything in the database). See docs/operations.md."""
import click
from flask_babel import gettext as _

from ..domain import backup
from ..extensions import db


@click.group("backup")
def backup_group():
    """Back up the database and restore a back-up."""


@backup_group.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_create(path):
    """Write a back-up of the database to PATH (safe while the app runs)."""
    written = backup.create(db.engine.url, path)
    click.echo(_("已备份 %(kind)s 数据库到 %(path)s（%(size)s 字节）。", kind=backup.kind(db.engine.url),
                 path=written, size=written.stat().st_size))


@backup_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def backup_restore(path, yes):
    """Replace everything in the database with the back-up at PATH (stop the app's workers first)."""
    url = db.engine.url
    if not yes:
        click.confirm(_("这将用备份 %(path)s 替换数据库 %(db)s 中的全部数据，是否继续？",
                        path=path, db=url.render_as_string(hide_password=True)), abort=True)
    db.session.remove()
    db.engine.dispose()  # this process holds no connection while the database is replaced
    backup.restore(url, path)
    click.echo(_("已从 %(path)s 恢复数据库。", path=path))
