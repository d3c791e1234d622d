"""The current time, in one place (naive local time of the campaign's city)."""
from datetime import datetime


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def from_timestamp(ts: float) -> datetime:
    """A time kept as `now().timestamp()` (in a cookie, say) back as the same naive local time."""
    return datetime.fromtimestamp(ts).replace(microsecond=0)
