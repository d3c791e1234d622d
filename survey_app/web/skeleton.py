"""Pages rendered once and filled in for each request: markers stand where a request's own values go.

The blank survey is the page a visit evening serves hundreds of times a minute, and all but a few
of its values (the household's address, its compound and company, the form's CSRF token) are the
same for every household of a campaign. It is rendered once per key with a marker in place of each
of those values; a request replaces the markers with its own values, escaped as the template would
have escaped them. The markers hold a random token made when the process starts, so no text an
officer or resident writes can look like one.
"""
from __future__ import annotations

import secrets

from markupsafe import escape

_TOKEN = secrets.token_hex(12)


def mark(name: str) -> str:
    """The marker of the value `name`: no character in it is one HTML escaping changes, so the
    template writes it as it is."""
    return f"\x00{_TOKEN}:{name}\x00"


def fill(page: str, values: dict[str, str]) -> str:
    """The page with each marker replaced by its value, escaped; a page without markers is unchanged."""
    for name, value in values.items():
        page = page.replace(mark(name), str(escape(value)))
    return page
