"""How many of a compound's respondents named each problem category of the multiple-choice question.

The figure behind "a problem category named by at least a set share of a compound's respondents":
read by the rectification rule, which refuses (does not judge) a compound whose n is under
`privacy.MIN_GROUP`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import distinct, func, select

from ...extensions import db
from ...models import Answer, AnswerChoice, Dimension, Question, QuestionOption, Response
from .aggregates import PUBLISHED

MULTI_KIND = "multi"


@dataclass(frozen=True)
class CategoryShare:
    """n respondents, `named` of whom ticked the category; share = named / n (None when n is 0)."""

    n: int
    named: int
    share: float | None


def category_shares(campaign_id: int, compound_ids: Iterable[int]) -> dict[int, dict[str, CategoryShare]]:
    """{compound id: {option key: CategoryShare}} for the campaign's multiple-choice question(s).

    For each compound of `compound_ids`:

    * n — the compound's published responses (`aggregates.PUBLISHED`; held and rejected ones are
      left out) to the campaign that hold an answer to a multiple-choice question of the campaign. Every
      submitted survey stores that answer, ticks or none, so n counts those who were asked,
      including those who ticked nothing;
    * named — those of them with the option key ticked (in any of the campaign's multiple-choice
      questions, each response counted once);
    * share — named / n, or None when n is 0.

    Every requested compound appears, with every option key of the campaign's multiple-choice
    questions (in questionnaire order; a key ticked but no longer an option is listed after them).
    Two GROUP BY queries (n per compound; named per compound and key) and one for the option keys:
    no loop over responses. The caller decides what n is enough (`privacy.MIN_GROUP`).
    """
    ids = sorted({int(i) for i in compound_ids})
    if not ids:
        return {}
    multi_questions = (select(Question.id).join(Dimension, Dimension.id == Question.dimension_id)
                       .where(Dimension.campaign_id == campaign_id, Question.kind == MULTI_KIND))
    counted = (Response.campaign_id == campaign_id, Response.status.in_(PUBLISHED), Response.compound_id.in_(ids),
               Answer.question_id.in_(multi_questions))
    n_by_compound = dict(db.session.execute(
        select(Response.compound_id, func.count(distinct(Response.id)))
        .join(Answer, Answer.response_id == Response.id)
        .where(*counted).group_by(Response.compound_id)).all())
    named: dict[tuple[int, str], int] = {
        (compound_id, key): count for compound_id, key, count in db.session.execute(
            select(Response.compound_id, AnswerChoice.option_key, func.count(distinct(Response.id)))
            .join(Answer, Answer.response_id == Response.id)
            .join(AnswerChoice, AnswerChoice.answer_id == Answer.id)
            .where(*counted).group_by(Response.compound_id, AnswerChoice.option_key)).all()}
    keys = list(dict.fromkeys(db.session.scalars(
        select(QuestionOption.key).join(Question, Question.id == QuestionOption.question_id)
        .join(Dimension, Dimension.id == Question.dimension_id)
        .where(Dimension.campaign_id == campaign_id, Question.kind == MULTI_KIND)
        .order_by(Dimension.position, Question.position, QuestionOption.position))))
    keys += sorted({key for _compound, key in named} - set(keys))
    out: dict[int, dict[str, CategoryShare]] = {}
    for compound_id in ids:
        n = n_by_compound.get(compound_id, 0)
        out[compound_id] = {key: CategoryShare(n, named.get((compound_id, key), 0),
                                               named.get((compound_id, key), 0) / n if n else None)
                            for key in keys}
    return out
