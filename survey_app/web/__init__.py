"""One blueprint per audience."""
from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL integer; larger ids cannot exist


class IdConverter(IntegerConverter):
    """A database id in a URL: a positive integer that fits the id column, else 404."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def register_blueprints(app: Flask) -> None:
    from . import auth, campaigns, coverage, dashboard, firm, office, printing, resident, roster

    app.url_map.converters["id"] = IdConverter

    for module in (auth, resident, office, firm, roster, coverage, printing, dashboard, campaigns):
        app.register_blueprint(module.bp)
