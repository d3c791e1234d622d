"""Documents for the street offices — workbooks, PDFs, audit lines — are written in Chinese,
whatever language the page asking for them is shown in."""
from __future__ import annotations

from flask_babel import force_locale

DOCUMENT_LOCALE = "zh_CN"


def in_chinese():
    """A block in which gettext and lazy labels give their Chinese originals (a context manager)."""
    return force_locale(DOCUMENT_LOCALE)
