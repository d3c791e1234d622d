"""Pages of a list: which page a request may see, and one page of a list already in memory."""
from __future__ import annotations

from dataclasses import dataclass


def clamp(total: int, number: int, per_page: int) -> tuple[int, int]:
    """(the page to show, how many pages) for `total` rows `per_page` at a time: a number below 1
    shows the first page, one past the end the last; an empty list has one (empty) page."""
    pages = max(1, -(-total // per_page))
    return min(max(1, number), pages), pages


@dataclass
class Page:
    """One page of a list and how many rows the whole list has (the shared pager macro reads number
    and pages)."""

    rows: list
    total: int
    number: int
    pages: int


def page_of(rows: list, number: int, per_page: int = 50) -> Page:
    """Page `number` of `rows` (a number past the end shows the last page)."""
    number, pages = clamp(len(rows), number, per_page)
    return Page(rows[(number - 1) * per_page:number * per_page], len(rows), number, pages)
