"""One blueprint per audience."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import auth, firm, office, resident

    for module in (auth, resident, office, firm):
        app.register_blueprint(module.bp)
