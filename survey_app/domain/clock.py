"""The current time, in one place (naive local time of the campaign's city)."""
from datetime import datetime


def now() -> datetime:
    return datetime.now().replace(microsecond=0)
