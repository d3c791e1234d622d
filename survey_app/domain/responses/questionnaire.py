"""A campaign's questionnaire as plain immutable values, read once per process while it cannot change.

A questionnaire freezes once its campaign has a response or is closed (campaigns/spec.lock_reason):
from then on its dimensions, questions, options, kinds and weights never change, and a wording fix
is the only edit, recorded as a `WordingChange` row. A frozen questionnaire is therefore named by
(campaign id, id of its last wording change): every worker on every machine reading the same rows
computes the same name, and a wording fix made anywhere gives a new one, so a copy kept under the
old name is never used again. A questionnaire that may still change (a draft, an open campaign
without responses) is read from its rows on every use and never kept.

The copies live in the app's own memory (`app.extensions`), at most `_KEEP` of them; they are
immutable, so the threads of a worker share them safely. The survey page, the submission's checks
and scoring read them, and `shown` keeps each one's labels as displayed in one language.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale, gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased, selectinload

from ...extensions import db
from ...models import Campaign, Dimension, Question, Response, WordingChange
from ...models.campaigns import SCORED_KIND
from ..stats.scoring import LABELS, DimensionSpec

_KEEP = 64  # questionnaires kept per process (a city runs a few campaigns at a time)
_EXTENSION = "survey_questionnaires"


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a choice or multiple-choice question."""

    key: str
    label: str
    label_en: str


@dataclass(frozen=True, slots=True)
class Item:
    """One question, with what the form, the checks and the scores need of it."""

    id: int
    key: str
    dimension_id: int
    text: str
    text_en: str
    kind: str
    allow_na: bool
    is_overall: bool
    options: tuple[Option, ...]

    @property
    def scored(self) -> bool:
        """Only 5-point questions count in the scores (models.Question.scored)."""
        return self.kind == SCORED_KIND


@dataclass(frozen=True, slots=True)
class Part:
    """One weighted dimension and its questions, in order."""

    id: int
    key: str
    name: str
    name_en: str
    weight: float
    questions: tuple[Item, ...]


@dataclass(frozen=True)
class Questionnaire:
    """A campaign's questionnaire; `version` is None when it may still change (never kept)."""

    campaign_id: int
    version: int | None
    dimensions: tuple[Part, ...]
    questions: tuple[Item, ...]
    specs: tuple[DimensionSpec, ...]  # the scoring view: 5-point questions per dimension
    overall_id: int | None


def version_columns(campaign_id):
    """SQL for a select: (whether the campaign has a response, the id of its last wording change or 0)."""
    other = aliased(Response)  # any response of the campaign, whatever else the select joins
    return (exists().where(other.campaign_id == campaign_id),
            select(func.coalesce(func.max(WordingChange.id), 0)).where(WordingChange.campaign_id == campaign_id)
            .scalar_subquery())


def of(campaign: Campaign, answered: bool | None = None, wording: int | None = None) -> Questionnaire:
    """The campaign's questionnaire: the kept copy of its version, else read from its rows.

    `answered` and `wording` are what the caller already read with `version_columns`; left out,
    they are read here (one small indexed query).
    """
    if answered is None:
        answered, wording = db.session.execute(select(*version_columns(campaign.id))).one()
    if not (answered or campaign.status == "closed"):
        return _read(campaign.id, None)
    version = int(wording or 0)
    return kept((campaign.id, version), lambda: _read(campaign.id, version))


def kept(key: tuple, build):
    """What is kept under `key` in this app (built and kept when missing): only what a frozen
    questionnaire's version names, so it never goes stale."""
    kept = current_app.extensions.setdefault(_EXTENSION, {})
    found = kept.get(key)
    if found is None:
        found = build()
        if len(kept) >= _KEEP:
            kept.clear()
        kept[key] = found
    return found


def _read(campaign_id: int, version: int | None) -> Questionnaire:
    """Build the plain copy from the rows: dimensions, questions and options in three queries."""
    dims = db.session.scalars(
        select(Dimension).where(Dimension.campaign_id == campaign_id).order_by(Dimension.position, Dimension.id)
        .options(selectinload(Dimension.questions).selectinload(Question.options))).all()
    parts = tuple(
        Part(d.id, d.key, d.name, d.name_en or "", float(d.weight), tuple(
            Item(q.id, q.key, d.id, q.text, q.text_en or "", q.kind, bool(q.allow_na), bool(q.is_overall),
                 tuple(Option(o.key, o.label, o.label_en or "") for o in q.options))
            for q in d.questions))
        for d in dims)
    questions = tuple(q for p in parts for q in p.questions)
    return Questionnaire(
        campaign_id=campaign_id, version=version, dimensions=parts, questions=questions,
        specs=tuple(DimensionSpec(p.id, p.weight, tuple(q.id for q in p.questions if q.scored)) for p in parts),
        overall_id=next((q.id for q in questions if q.is_overall), None))


# ---------------------------------------------------------------- as the survey page shows it

@dataclass(frozen=True, slots=True)
class ShownQuestion:
    """A question as displayed: its form field, number, wording and answers in the reader's language."""

    key: str  # the form field, q<id>
    number: int
    text: str
    kind: str
    required: bool
    choices: tuple[tuple[str, str], ...]  # (value, label): 5..1 for a 5-point question, else the options
    na_label: str | None  # the "not applicable" answer, when offered


@dataclass(frozen=True, slots=True)
class ShownPart:
    """A dimension as displayed: its name and questions."""

    name: str
    questions: tuple[ShownQuestion, ...]


@dataclass(frozen=True, slots=True)
class Shown:
    """The whole questionnaire as displayed in one language."""

    parts: tuple[ShownPart, ...]
    required: int  # how many questions must be answered


def is_required(question) -> bool:
    """Whether the survey refuses a form without an answer to this question (free text and multiple
    choice are optional: ticking nothing is an answer)."""
    return question.kind not in ("text", "multi")


def shown(q: Questionnaire) -> Shown:
    """The questionnaire's labels in the request's language, worked out once per version and language."""
    lang = str(get_locale())
    if q.version is None:
        return _shown(q, lang)
    return kept((q.campaign_id, q.version, lang), lambda: _shown(q, lang))


def _shown(q: Questionnaire, lang: str) -> Shown:
    english = lang == "en"
    scale = tuple((str(v), str(LABELS[v])) for v in (5, 4, 3, 2, 1))
    na = {"scale": _("不适用/不了解"), "choice": _("都没有/不适用")}
    parts, number = [], 0
    for p in q.dimensions:
        shown_qs = []
        for item in p.questions:
            number += 1
            if item.kind == SCORED_KIND:
                choices = scale
            else:
                choices = tuple((o.key, o.label_en if english and o.label_en else o.label) for o in item.options)
            shown_qs.append(ShownQuestion(
                key=f"q{item.id}", number=number, text=item.text_en if english and item.text_en else item.text,
                kind=item.kind, required=is_required(item), choices=choices,
                na_label=na.get(item.kind) if item.allow_na else None))
        parts.append(ShownPart(p.name_en if english and p.name_en else p.name, tuple(shown_qs)))
    return Shown(tuple(parts), sum(1 for item in q.questions if is_required(item)))
