"""Rectification (整改): the third step of the campaign, and why the other two exist.

- `states`: the states, sources and moves of an item, with their labels (one table, read by the
  workflow, the pages, the workbooks and the resident's page);
- `rules`: where items come from (low dimension scores, a problem category many respondents
  named, a resident's follow-up request, an officer's inspection), de-duplicated per compound and
  category within a round, each with its evidence;
- `workflow`: the moves (assign, start, submit, verify, send back, close, reopen, note), each kept
  as an event, deadlines that stay missed;
- `photos`: photos of an inspection or of the company's work, checked, re-encoded and stored;
- `residents`: a resident's follow-up request, the compound's items in plain words, "has this been
  fixed?" and its counts;
- `listing`: the list at city scale (filters, sorting, pages, counts per state) in SQL;
- `rates`: whether the loop works (started in time, verified, confirmed, overdue, missed);
- `sheet_import`: the filled-in workbook read back as moves; `demo`: the demo's loop.

May import `access`, `errors`, `models`, `domain.audit`, `domain.stats`; never `web`.
"""
from .rules import (DEADLINE_DAYS, MIN_RESPONSES, RATE_BELOW, SCORE_BELOW, GenerateResult, generate,
                    needs_rectification, raise_inspection, raise_request)
from .states import ACTION_LABELS, MOVES, SOURCE_LABELS, STATUS_LABELS
from .workflow import ActionRefused, act, allowed_actions, is_overdue, mark_overdue

__all__ = [
    "ACTION_LABELS", "DEADLINE_DAYS", "MIN_RESPONSES", "MOVES", "RATE_BELOW", "SCORE_BELOW", "SOURCE_LABELS",
    "STATUS_LABELS", "ActionRefused", "GenerateResult", "act", "allowed_actions", "generate", "is_overdue",
    "mark_overdue", "needs_rectification", "raise_inspection", "raise_request",
]
