"""Languages: Chinese (zh_CN) first, English available via ?lang=en."""
from flask import Flask, request, session

from .config import ROOT
from .extensions import babel


def select_locale() -> str:
    from flask import current_app

    wanted = request.args.get("lang")
    if wanted in current_app.config["LANGUAGES"]:
        session["lang"] = wanted
    return session.get("lang") or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _fresh_locale():
        # Babel caches the locale on the app context, which tests and CLI calls may share
        # between requests; each request chooses its own.
        from flask_babel import refresh

        refresh()

    @app.context_processor
    def _lang():
        from flask_babel import get_locale

        return {"current_lang": str(get_locale())}
