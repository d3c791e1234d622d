"""Steps every migration test takes: a database brought to a revision with the app's own migrations,
moved up or down, its connections let go after each step (PostgreSQL would otherwise wait on them)."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine

from survey_app import create_app
from survey_app.extensions import db as _db

from .conftest import make_config


def at_revision(url: str, revision: str):
    """An app and an engine on the database at `url`, migrated up to `revision` and still empty."""
    app = create_app(make_config(url))
    up(app, revision)
    return app, create_engine(url)


def up(app, revision: str = "head") -> None:
    """Upgrade the app's database to `revision` (default: the newest)."""
    with app.app_context():
        upgrade(revision=revision)
        _db.engine.dispose()


def down(app, revision: str) -> None:
    """Downgrade the app's database to `revision`."""
    with app.app_context():
        downgrade(revision=revision)
        _db.engine.dispose()
