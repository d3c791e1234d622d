"""One blueprint per audience or feature; views parse, ask `access`, call the domain, render."""
from flask import Flask
from werkzeug.routing import IntegerConverter

from ..database import MAX_ID
from ..domain import users as accounts
from ..domain.stats import privacy
from . import (api_clients, audit, auth, campaigns, comments, company, device, health, households, jobs, office, overview, printing,
               rectification, rectification_photos, rectification_sheets, resident, review, roster, users,
               visits)


class IdConverter(IntegerConverter):
    """A database id in a URL: a positive integer that fits the id column, else 404."""

    regex = r"[0-9]+"  # not \d: it also matches other scripts' digits (١٢, １２), which int() reads

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.jinja_env.globals["privacy"] = privacy  # pages say why a small group's figures are withheld
    app.jinja_env.globals["password_rule"] = accounts.password_rule  # forms state the rule they are checked by
    device.init_app(app)
    for module in (auth, resident, api_clients, office, company, roster, visits, printing, overview, campaigns, users, audit, comments,
                   rectification, rectification_photos, rectification_sheets, review, households, health, jobs):
        app.register_blueprint(module.bp)
        if hasattr(module, "old"):  # the addresses a blueprint had before it was renamed
            app.register_blueprint(module.old)
