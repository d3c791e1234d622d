"""Households' first answers written in bulk, as `save_response` stores them (the demo's story).

`save_response` costs a dozen round trips per answer; the demo's integrity story writes tens of
thousands of first answers at city scale, which took PostgreSQL over ten minutes. `FirstAnswers`
keeps the same rows (the response, its 5-point answers, its signals, with the ids the database
would have given them) and writes them with `bulk.insert_rows` (COPY on PostgreSQL) when
`flush` is called. Only a self-given first answer with 5-point answers and a comment is kept
here; anything else goes through `save_response`. The maintained totals are not touched: the
caller rebuilds them (`totals.rebuild`) after `flush`. tests/domain/test_first_answers.py checks
that both paths store the same rows.
"""
from __future__ import annotations

from datetime import datetime

from ...extensions import db
from ...models import Answer, Campaign, Response
from ...models.integrity import ResponseSignal
from ..bulk import insert_rows, next_id, reset_sequences
from ..responses.survey import ParsedSurvey, dimension_specs
from ..stats.scoring import response_index
from . import signals

RESPONSE_COLUMNS = ("id", "campaign_id", "household_id", "compound_id", "company_id", "submitted_at", "updated_at",
                    "mode", "status", "score", "overall", "comment")
ANSWER_COLUMNS = ("id", "response_id", "question_id", "value")
SIGNAL_COLUMNS = ("response_id", "campaign_id", "opened_at", "submitted_at", "duration", "device_hash",
                  "last_device_hash", "network_hash", "agent_hash", "uniform")


def fits(parsed: ParsedSurvey, mode: str) -> bool:
    """Whether `FirstAnswers` stores this submission as `save_response` would (else use that)."""
    return (mode == "self" and not parsed.choices and not parsed.texts and not parsed.multi
            and not parsed.followup_asked)


class FirstAnswers:
    """First answers of households that have none, kept until `flush` writes them in bulk."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.dims = dimension_specs(campaign)
        self.overall_q = next((q.id for q in campaign.questions if q.is_overall), None)
        self.key = signals.campaign_key(campaign)
        self.responses: list[tuple] = []
        self.answers: list[tuple] = []
        self.signals: list[tuple] = []
        self.next_response = self.next_answer = None

    def add(self, household_id: int, compound_id: int, company_id: int | None, parsed: ParsedSurvey,
            seen: signals.Seen, when: datetime) -> int:
        """Keep a household's first answers submitted at `when` from `seen`; the response's id."""
        if self.next_response is None:
            self.next_response, self.next_answer = next_id(Response.__table__), next_id(Answer.__table__)
        rid = self.next_response
        self.next_response += 1
        answers = parsed.answers
        self.responses.append((rid, self.campaign.id, household_id, compound_id, company_id, when, when, "self",
                               "published", response_index(answers, self.dims),
                               answers.get(self.overall_q) if self.overall_q else None, parsed.comment))
        for qid, value in answers.items():
            self.answers.append((self.next_answer, rid, qid, value))
            self.next_answer += 1
        opened = seen.opened_at if seen.opened_at is not None and seen.opened_at <= when else None
        device = signals.keyed(self.key, "device", seen.device)
        self.signals.append((rid, self.campaign.id, opened, when, (when - opened).total_seconds() if opened else None,
                             device, device, signals.keyed(self.key, "network", signals.network_prefix(seen.address)),
                             signals.keyed(self.key, "agent", seen.agent), signals.is_uniform(answers)))
        return rid

    def flush(self) -> int:
        """Write what is kept (in the session's transaction); how many responses were written."""
        n = len(self.responses)
        if n:
            db.session.flush()  # the campaign's new signal salt, anything pending, first
            insert_rows(Response.__table__, RESPONSE_COLUMNS, self.responses)
            insert_rows(Answer.__table__, ANSWER_COLUMNS, self.answers)
            insert_rows(ResponseSignal.__table__, SIGNAL_COLUMNS, self.signals)
            reset_sequences(Response.__table__, Answer.__table__)
        for rows in (self.responses, self.answers, self.signals):
            rows.clear()
        self.next_response = self.next_answer = None
        return n
