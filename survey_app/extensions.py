"""Flask extensions, created unbound and bound in the application factory."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names so migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# pool_pre_ping: a pooled connection is tested before use, so after the database restarts the
# first request reconnects instead of failing on a dead connection (SQLALCHEMY_ENGINE_OPTIONS overrides).
db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING), engine_options={"pool_pre_ping": True})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()

# Settings Flask-Limiter reads from an app's config only while they are still unset: with one
# Limiter serving every app a process makes (the tests make many), the first app's key prefix,
# strategy or error handling would otherwise stay for all later apps.
_LIMITER_SETTINGS_FROM_CONFIG = ("_key_prefix", "_strategy", "_swallow_errors", "_headers_enabled",
                                 "_retry_after", "_storage_uri")


def init_limiter(app) -> None:
    """Bind the limiter to this app with this app's settings, its storage taken as alive."""
    for name in _LIMITER_SETTINGS_FROM_CONFIG:
        setattr(limiter, name, None)
    limiter._storage_options = {}
    limiter.init_app(app)
    limiter._storage_dead = False  # a storage that failed for an earlier app is not this app's
