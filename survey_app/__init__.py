"""Property-service satisfaction survey platform: the application factory."""
from flask import Flask

from . import access, audit_trail, database, errors, i18n, logs, proxy, security
from .api.setup import init_app as init_api
from .cli import register_cli
from .config import ROOT, config_from_env
from .extensions import csrf, db, init_limiter, login_manager, migrate
from .web import register_blueprints


def create_app(config=None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error handlers, CLI, logging."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(ROOT / "instance"))
    app.config.from_object(config if config is not None else config_from_env())
    proxy.init_app(app)

    db.init_app(app)
    database.configure(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    init_limiter(app)
    i18n.init_app(app)
    security.init_app(app)
    access.init_app(app)
    audit_trail.init_app(app)
    register_blueprints(app)
    init_api(app)
    errors.register(app)
    register_cli(app)
    logs.configure(app)
    return app
