"""Languages: Chinese (zh_CN) first, English available via ?lang=en."""
from functools import lru_cache

from babel import Locale
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale, gettext as _, refresh

from .config import ROOT
from .extensions import babel


def select_locale() -> Locale:
    """The language of this request: ?lang= (remembered in the session), else Chinese. The API's
    clients, which keep no session, may ask with Accept-Language instead (docs/api.md).

    Outside a request (commands, jobs) messages are in the default language.
    """
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return _locale(default)
    languages = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
    chosen = session.get("lang")
    if chosen not in languages and request.path.startswith("/api/"):
        chosen = request.accept_languages.best_match(languages)
    return _locale(chosen if chosen in languages else default)


@lru_cache(maxsize=16)
def _locale(identifier: str) -> Locale:
    """The Locale of an identifier, parsed once (every request asks for one of two)."""
    return Locale.parse(identifier)


def listing(items) -> str:
    """Items joined as a list in the current language ("甲、乙" in Chinese, "A, B" in English)."""
    return _("、").join(str(i) for i in items)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["listing"] = listing
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _fresh_locale():
        # Babel caches the locale on the app context, which tests and CLI calls may share
        # between requests; each request chooses its own, and a ?lang= choice is remembered even
        # on a request that only redirects.
        refresh()
        get_locale()

    @app.context_processor
    def _lang():
        return {"current_lang": str(get_locale())}
