"""A household's survey: validate the submitted form and store one response per household.

A multiple-choice question ("which most need improving?") is a group of checkboxes: any number of
its options may be ticked, none included. Every submitted form stores one answer per such question
(its ticks as `AnswerChoice` rows, possibly none), so "answered, ticked nothing" is told apart from
"never shown the question". A tick that is not one of the question's options, or the same option
twice, cannot come from the form: it is refused (400) and nothing is stored.

The form's last part, "请物业跟进我的问题" (rectification.residents), is saved with the response in the
same transaction: ticked it raises or changes the household's follow-up request, unticked it
withdraws it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, delete, exists, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ...errors import Invalid, Refusal
from ...extensions import db
from ...models import (Answer, AnswerChoice, Building, Campaign, Company, Compound, Household, HouseholdCode,
                       RectificationItem, Response, ResponseSignal, User)
from .. import audit
from . import questionnaire as structure, totals
from ..campaigns.lifecycle import refuse_frozen
from ..clock import now
from ..integrity import signals
from ..rectification.residents import FollowUp, apply_followup, parse_followup
from ..stats.scoring import DimensionSpec, response_index
from .questionnaire import Questionnaire

NA = "na"
COMMENT_MAX = 500  # characters of a comment or a free-text answer, wherever the survey is filled in


class SurveyClosed(Refusal):
    """The campaign does not accept answers now (410 once it has ended, 403 before or outside its scope)."""


@dataclass
class ParsedSurvey:
    answers: dict[int, int | None] = field(default_factory=dict)  # 5-point questions: the scored ones
    comment: str | None = None
    choices: dict[int, str | None] = field(default_factory=dict)  # single choice: option key, None = none of these
    texts: dict[int, str] = field(default_factory=dict)  # free text, only the ones filled in
    # multiple choice: the option keys ticked, in the options' order; [] = none ticked
    multi: dict[int, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # form field → message
    # "please follow up on my problem": None when unticked; only a form's parse sets followup_asked,
    # so a caller that builds answers by hand never withdraws a household's request.
    followup: FollowUp | None = None
    followup_asked: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def dimension_specs(campaign: Campaign) -> list[DimensionSpec]:
    """The scoring view of the questionnaire: only 5-point questions count."""
    return list(structure.of(campaign).specs)


@dataclass
class Visit:
    """What a household's survey request needs, read in one query from its code: the household, its
    building, compound and company, the campaign, the household's live response (with its signals)
    and the questionnaire (kept per process once frozen: questionnaire.py)."""

    code: HouseholdCode
    campaign: Campaign
    household: Household
    building: Building
    compound: Compound
    company: Company | None
    response: Response | None
    signal: ResponseSignal | None  # held here: the session keeps loaded rows only while referenced
    questionnaire: Questionnaire
    items_submitted: bool  # the compound has items submitted as fixed (residents may be asked about them)

    @property
    def address(self) -> str:
        """The household's address within its compound (its building is loaded)."""
        return self.household.label


# A household's live response: published or held, never a rejected one (kept apart; it may answer again).
_LIVE = Response.status != "rejected"
_VISIT: list = []  # the visit's select, built once (building it costs more than running it)


def _visit_query():
    if not _VISIT:
        answered, wording = structure.version_columns(HouseholdCode.campaign_id)
        submitted = exists().where(RectificationItem.campaign_id == HouseholdCode.campaign_id,
                                   RectificationItem.compound_id == Household.compound_id,
                                   RectificationItem.status == "submitted")
        _VISIT.append(
            select(HouseholdCode, Household, Building, Compound, Company, Campaign, Response, ResponseSignal,
                   answered, wording, submitted)
            .join(Household, Household.id == HouseholdCode.household_id)
            .join(Building, Building.id == Household.building_id)
            .join(Compound, Compound.id == Household.compound_id)
            .outerjoin(Company, Company.id == Compound.company_id)
            .join(Campaign, Campaign.id == HouseholdCode.campaign_id)
            .outerjoin(Response, and_(Response.campaign_id == HouseholdCode.campaign_id,
                                      Response.household_id == HouseholdCode.household_id,
                                      _LIVE))
            .outerjoin(ResponseSignal, ResponseSignal.response_id == Response.id)
            .where(HouseholdCode.id == bindparam("code_id")))
    return _VISIT[0]


def visit(code_id: int) -> Visit | None:
    """The visit of a household code by id, in one indexed query (None when there is no such code).

    Everything is loaded into the session together, so later reads of the code's household, its
    building and compound, the campaign and the response's signals need no further query.
    """
    row = db.session.execute(_visit_query(), {"code_id": code_id}).first()
    if row is None:
        return None
    code, household, building, compound, company, campaign, resp, signal, answered, wording, submitted = row
    return Visit(code, campaign, household, building, compound, company, resp, signal,
                 structure.of(campaign, answered=bool(answered), wording=wording), bool(submitted))


def closed_reason(campaign: Campaign, when=None, household: Household | None = None) -> str | None:
    """Why the campaign refuses answers now (or from this household), in the user's language, or None."""
    when = when or now()
    if campaign.status == "draft" or when < campaign.opens_at:
        return _("本次测评尚未开始，开始时间：%(opens)s。", opens=f"{campaign.opens_at:%Y-%m-%d %H:%M}")
    if has_ended(campaign, when):
        return _("本次测评已结束，感谢您的关注。")
    if household is not None and not covers(campaign, household):
        return _("您所在的小区不在本次测评的范围内，无需作答。")
    return None


def has_ended(campaign: Campaign, when=None) -> bool:
    return campaign.status == "closed" or (when or now()) >= campaign.closes_at


def covers(campaign: Campaign, household: Household) -> bool:
    """Whether the household lies inside the campaign's scope (city, a district or a street)."""
    if campaign.scope_level not in ("district", "street"):
        return True
    compound = db.session.get(Compound, household.compound_id)
    place = compound.district_id if campaign.scope_level == "district" else compound.street_id
    return place == campaign.scope_id


def parse_form(campaign: Campaign, form: Mapping[str, str], questionnaire: Questionnaire | None = None) -> ParsedSurvey:
    """Check every question's answer and the comment; collect a message per bad field.

    `questionnaire` is the campaign's (questionnaire.of), read here when not given; anything else
    with the campaign's `questions` may stand in for the campaign (the messages' tests do).
    :raise Invalid: a multiple-choice tick that no form offers (an unknown option, one ticked twice).
    """
    if questionnaire is None:
        questionnaire = structure.of(campaign) if isinstance(campaign, Campaign) else campaign
    out = ParsedSurvey()
    number = 0
    for q in questionnaire.questions:
        number += 1
        key = f"q{q.id}"
        if q.kind == "multi":
            out.multi[q.id] = _parse_ticks(q, _submitted(form, key), number)
            continue
        if q.kind == "text":  # optional (is_required): checked only for length and saveable characters
            _parse_text(out, q, key, number, form.get(key) or "", COMMENT_MAX)
            continue
        raw = (form.get(key) or "").strip()
        if q.kind == "choice":
            if raw == "":
                out.errors[key] = _("第 %(n)s 题未作答。", n=number)
            elif raw == NA and q.allow_na:
                out.choices[q.id] = None
            elif raw in {o.key for o in q.options}:
                out.choices[q.id] = raw
            else:
                out.errors[key] = _("第 %(n)s 题的答案无效，请在选项中选择。", n=number)
            continue
        if raw == "":
            out.errors[key] = _("第 %(n)s 题未作答。", n=number)
        elif raw == NA and q.allow_na:
            out.answers[q.id] = None
        elif raw in ("1", "2", "3", "4", "5"):
            out.answers[q.id] = int(raw)
        else:
            out.errors[key] = _("第 %(n)s 题的答案无效，请在选项中选择。", n=number)
    comment = form.get("comment") or ""
    if "\x00" in comment:
        out.errors["comment"] = _("意见建议中含有无法保存的字符。")
    elif len(comment) > COMMENT_MAX:
        out.errors["comment"] = _("意见建议不能超过 %(max)s 字（现为 %(n)s 字）。", max=COMMENT_MAX, n=len(comment))
    else:
        out.comment = comment.strip() or None
    if out.ok and all(v is None for v in out.answers.values()):
        out.errors["form"] = _("请至少对一项服务作出评价。")
    out.followup, error = parse_followup(questionnaire, form)  # its dimensions are the categories
    out.followup_asked = True
    if error:
        out.errors["followup"] = error
    return out


def _submitted(form: Mapping, key: str) -> list[str]:
    """Every value sent under `key`: a group of checkboxes sends one per tick (a dict may hold a list)."""
    if hasattr(form, "getlist"):
        return form.getlist(key)
    raw = form.get(key)
    if raw is None:
        return []
    return [raw] if isinstance(raw, str) else list(raw)


def _parse_ticks(q, ticked: list[str], number: int) -> list[str]:
    """The option keys ticked, in the options' order.

    :raise Invalid: a value that is not one of the question's option keys, or one sent twice.
    """
    keys = [o.key for o in q.options]
    if any(not isinstance(v, str) or v not in keys for v in ticked):
        raise Invalid(_("第 %(n)s 题的答案无效：只能勾选列出的选项。", n=number))
    if len(set(ticked)) != len(ticked):
        raise Invalid(_("第 %(n)s 题的答案无效：同一选项只能勾选一次。", n=number))
    return [k for k in keys if k in ticked]


def _parse_text(out: ParsedSurvey, q, key: str, number: int, raw: str, limit: int) -> None:
    """Free text is optional; kept as written (trimmed), refused when too long or unsavable."""
    if "\x00" in raw:
        out.errors[key] = _("第 %(n)s 题中含有无法保存的字符。", n=number)
    elif len(raw) > limit:
        out.errors[key] = _("第 %(n)s 题不能超过 %(max)s 字（现为 %(len)s 字）。", n=number, max=limit, len=len(raw))
    elif raw.strip():
        out.texts[q.id] = raw.strip()


def form_values(questionnaire: Questionnaire, resp: Response | None) -> dict[str, str]:
    """A saved response as the survey form's values (q<id> → what the form would submit; a list of
    option keys for a multiple-choice question)."""
    if resp is None:
        return {}
    kinds = {q.id: q.kind for q in questionnaire.questions}
    out = {}
    for a in resp.answers:
        kind = kinds.get(a.question_id, "scale")
        if kind == "text":
            out[f"q{a.question_id}"] = a.text or ""
        elif kind == "choice":
            out[f"q{a.question_id}"] = a.choice or NA
        elif kind == "multi":
            out[f"q{a.question_id}"] = [c.option_key for c in a.choices]
        else:
            out[f"q{a.question_id}"] = NA if a.value is None else str(a.value)
    return out


def existing_response(campaign_id: int, household_id: int, with_answers: bool = False) -> Response | None:
    """The household's response in the campaign: published or held, never a rejected one (kept
    apart; the household may answer again); `with_answers` loads its answers and ticks in the same query."""
    query = select(Response).where(Response.campaign_id == campaign_id, Response.household_id == household_id, _LIVE)
    if with_answers:
        query = query.options(joinedload(Response.answers).joinedload(Answer.choices))
    return db.session.scalars(query).unique().first()


def save_response(campaign: Campaign, household_id: int, parsed: ParsedSurvey, mode: str = "self",
                  assisted_by_id: int | None = None, code_id: int | None = None,
                  seen: signals.Seen | None = None, when: datetime | None = None,
                  questionnaire: Questionnaire | None = None, first: bool | None = None) -> Response:
    """Store the household's answers in one transaction, replacing earlier ones; return the response.

    `when` is the submission's time (now unless given: the integrity simulation replays evenings).
    `questionnaire` is the campaign's (read here when not given); `first=True` says the caller read,
    in this transaction, that the household has no response yet (`visit`), which spares a query.

    `seen` is what the request says of the device it came from: kept as the response's integrity
    signals (hashed; domain/integrity/signals.py), or as a change when it replaces earlier answers.

    A first answer's row is inserted unless the household's live response is there already (ON
    CONFLICT DO NOTHING: a concurrent first submission from the same household inserted it, and on
    PostgreSQL the insert waits for that one's transaction to end); it is then saved as a change, so
    the household keeps exactly one response. Reading a response to change locks its row
    (PostgreSQL), so a concurrent change waits for this one to end and then reads what it wrote.
    The caller commits.
    """
    household = db.session.get(Household, household_id)
    reason = closed_reason(campaign, household=household)
    if reason:
        raise SurveyClosed(reason, 410 if has_ended(campaign) else 403)
    questionnaire = questionnaire or structure.of(campaign)
    resp = None
    for attempt in (1, 2):
        stored = {}
        if first is not True or attempt == 2:
            resp, stored = _stored(campaign.id, household_id)
        resp = _write(campaign, household, parsed, mode, assisted_by_id, code_id, seen, when, questionnaire, resp,
                      stored)
        if resp is not None:
            break
    else:  # a twin's response was there, and gone when read again
        raise RuntimeError(f"household {household_id}: its response neither inserted nor found")
    if mode == "assisted" and assisted_by_id is not None:
        # Who helped which household, never what it answered: staff do not see a household's answers.
        compound = db.session.get(Compound, household.compound_id)
        audit.record("response.assisted", f"household:{household_id}", user=db.session.get(User, assisted_by_id),
                     detail=f"协助填写：活动 {campaign.id}，{compound.name} {household.label}",
                     after={"campaign": campaign.id, "mode": mode}, where=audit.where_compound(compound))
    return resp


def _write(campaign, household, parsed, mode, assisted_by_id, code_id, seen, when, questionnaire,
           resp: Response | None, stored: dict) -> Response | None:
    """Store the form as the household's new response (`resp` None) or as a change of `resp`, whose
    answers are `stored`; then its signals and follow-up request. None: a new response was not
    inserted, the household's live response is there already (nothing was written)."""
    when = when or now()
    compound = db.session.get(Compound, household.compound_id)
    dims = list(questionnaire.specs)
    overall_q = questionnaire.overall_id
    first, score_before = resp is None, None if resp is None else resp.score
    fields = dict(compound_id=compound.id, company_id=compound.company_id,  # its company when it (last) answered
                  updated_at=when, mode=mode, assisted_by_id=assisted_by_id if mode == "assisted" else None,
                  score=response_index(parsed.answers, dims),
                  overall=parsed.answers.get(overall_q) if overall_q else None, comment=parsed.comment)
    if code_id is not None:
        fields["code_id"] = code_id
    if first:
        resp = _insert_first(campaign, dict(campaign_id=campaign.id, household_id=household.id, submitted_at=when,
                                            status="published", code_id=None) | fields)
        if resp is None:
            return None
    else:
        before = totals.share(resp, dims, {qid: a.value for qid, a in stored.items()})  # its old answers' share
        _update(resp, fields)
    # Its answers and ticks are written around the ORM too (a few statements, no unit of work).
    if first:
        _insert_answers(resp.id, _answer_rows(parsed, questionnaire), _ticks(parsed))
        totals.add(resp, dims, parsed.answers)
    else:
        _change_answers(resp.id, stored, parsed, questionnaire)
        totals.replace(before, resp, dims, {**{qid: a.value for qid, a in stored.items()}, **parsed.answers})
    db.session.expire(resp, ["answers"])  # read from the rows when next used
    signals.record(resp, campaign, seen, first=first, score_before=score_before,
                   uniform=signals.is_uniform(parsed.answers))
    if parsed.followup_asked:
        apply_followup(campaign, household, parsed.followup)
    return resp


_FIRST: dict = {}  # dialect name -> the first answer's insert, built once


def _insert_first(campaign: Campaign, row: dict) -> Response | None:
    """Insert a household's first response (its columns: `row`) and return it, or None when the
    household's live response is there already (the unique index: nothing inserted).

    The row is written around the ORM, so the freeze guard's check is called here; the returned
    response is the session's, as if loaded.
    """
    refuse_frozen(db.session(), {campaign.id})
    name = db.session.get_bind().dialect.name
    if name not in _FIRST:
        t = Response.__table__
        dialect_insert = postgresql.insert if name == "postgresql" else sqlite.insert
        _FIRST[name] = dialect_insert(t).on_conflict_do_nothing(  # the index's own predicate, written out:
            index_elements=[t.c.campaign_id, t.c.household_id],  # PostgreSQL matches no bound parameter to it
            index_where=text("status != 'rejected'")).returning(t.c.id)
    response_id = db.session.execute(_FIRST[name], row).scalar()
    if response_id is None:
        return None
    resp = Response(id=response_id, **row)
    make_transient_to_detached(resp)  # its attributes are the row's: the session takes it as loaded
    db.session.add(resp)
    return resp


_UPDATE = update(Response.__table__).where(Response.__table__.c.id == bindparam("response_id"))


def _update(resp: Response, fields: dict) -> None:
    """Write a changed response's columns (`fields`) around the ORM, after the freeze guard's check;
    the session's response holds them as its row's."""
    refuse_frozen(db.session(), {resp.campaign_id})
    db.session.execute(_UPDATE, {"response_id": resp.id, **fields})
    for name, value in fields.items():
        set_committed_value(resp, name, value)


@dataclass
class _Stored:
    """A stored answer as an edit reads it (its row's values, not an ORM object) with its ticks."""

    id: int
    value: int | None
    choice: str | None
    text: str | None
    ticks: dict[str, int] = field(default_factory=dict)  # option key -> the tick's row id


_answers, _ticked = Answer.__table__, AnswerChoice.__table__
# What a change reads: the live response, its row locked and read afresh; then its answers with their ticks.
_LOCKED_RESPONSE = select(Response).where(
    Response.campaign_id == bindparam("campaign_id"), Response.household_id == bindparam("household_id"),
    _LIVE).with_for_update().execution_options(populate_existing=True)
_STORED_ANSWERS = (select(_answers.c.id, _answers.c.question_id, _answers.c.value, _answers.c.choice, _answers.c.text,
                          _ticked.c.id, _ticked.c.option_key)
                   .select_from(_answers.outerjoin(_ticked, _ticked.c.answer_id == _answers.c.id))
                   .where(_answers.c.response_id == bindparam("response_id")))


def _stored(campaign_id: int, household_id: int) -> tuple[Response | None, dict[int, _Stored]]:
    """The household's live response, its row locked (PostgreSQL: FOR UPDATE) and read afresh, and its
    answers by question with their ticks ((None, {}) when it has none).

    The answers are read after the lock is held, in their own plain query: a change that waited for
    a concurrent one reads what that one wrote.
    """
    resp = db.session.scalar(_LOCKED_RESPONSE, {"campaign_id": campaign_id, "household_id": household_id})
    if resp is None:
        return None, {}
    out: dict[int, _Stored] = {}
    for answer_id, qid, value, choice, words, tick_id, key in db.session.execute(_STORED_ANSWERS, {"response_id": resp.id}):
        a = out.get(qid)
        if a is None:
            a = out[qid] = _Stored(answer_id, value, choice, words)
        if tick_id is not None:
            a.ticks[key] = tick_id
    return resp, out


def _answer_rows(parsed: ParsedSurvey, questionnaire: Questionnaire) -> list[tuple]:
    """A new response's answers: (question id, value, choice, text) each."""
    rows = [(qid, value, None, None) for qid, value in parsed.answers.items()]
    rows += [(qid, None, choice, None) for qid, choice in parsed.choices.items()]
    rows += [(qid, None, None, None) for qid in parsed.multi]  # answered, possibly with no tick
    rows += [(q.id, None, None, parsed.texts[q.id]) for q in questionnaire.questions
             if q.kind == "text" and q.id in parsed.texts]
    return rows


def _ticks(parsed: ParsedSurvey) -> list[tuple[int, str]]:
    """The ticks of the form's multiple-choice answers: (question id, option key) each."""
    return [(qid, key) for qid, keys in parsed.multi.items() for key in keys]


_NEW_ANSWER, _NEW_TICK = insert(Answer.__table__), insert(AnswerChoice.__table__)


def _insert_answers(response_id: int, rows: list[tuple], ticks: list[tuple[int, str]]) -> None:
    """Answers and ticks in one multi-row insert each (not a statement per answer); `ticks` are
    (question id, option key) of answers among `rows`."""
    if rows:
        db.session.execute(_NEW_ANSWER, [
            {"response_id": response_id, "question_id": qid, "value": value, "choice": choice, "text": words}
            for qid, value, choice, words in rows])
    if ticks:
        ids = dict(db.session.execute(select(Answer.question_id, Answer.id).where(
            Answer.response_id == response_id, Answer.question_id.in_({qid for qid, _key in ticks}))).all())
        _tick([(ids[qid], key) for qid, key in ticks])


def _tick(ticks: list[tuple[int, str]]) -> None:
    if ticks:
        db.session.execute(_NEW_TICK, [{"answer_id": a, "option_key": k} for a, k in ticks])


_CHANGE = update(Answer.__table__).where(Answer.__table__.c.id == bindparam("answer_id"))


def _change_answers(response_id: int, stored: dict[int, _Stored], parsed: ParsedSurvey,
                    questionnaire: Questionnaire) -> None:
    """Make a stored response's answers those of the form: change, add, and drop cleared free text.

    Only answers that differ are written; a tick kept is left as it is (not deleted and re-added),
    so the unique (answer, option) pair never meets its own replacement.
    """
    want: dict[int, tuple] = {}  # question id -> (value, choice, text) the form gives
    for qid, value in parsed.answers.items():
        want[qid] = _with(stored.get(qid), value=value)
    for qid, choice in parsed.choices.items():
        want[qid] = _with(stored.get(qid), choice=choice)
    gone: list[int] = []
    for q in questionnaire.questions:
        if q.kind == "text" and q.id in parsed.texts:
            want[q.id] = _with(stored.get(q.id), text=parsed.texts[q.id])
        elif q.kind == "text" and q.id in stored:  # the household cleared its earlier text
            gone.append(stored[q.id].id)
    added = [(qid, *row) for qid, row in want.items() if qid not in stored]
    changed = [{"answer_id": stored[qid].id, "value": row[0], "choice": row[1], "text": row[2]}
               for qid, row in want.items() if qid in stored and row != _with(stored[qid])]
    new_ticks: list[tuple[int, str]] = []  # (question id, key) of added answers
    ticks: list[tuple[int, str]] = []  # (answer id, key) of stored answers
    untick: list[int] = []
    for qid, keys in parsed.multi.items():
        a = stored.get(qid)
        if a is None:
            added.append((qid, None, None, None))
            new_ticks += [(qid, k) for k in keys]
        else:
            untick += [tick_id for k, tick_id in a.ticks.items() if k not in keys]
            ticks += [(a.id, k) for k in keys if k not in a.ticks]
    if changed:
        db.session.execute(_CHANGE, changed)
    if untick:
        db.session.execute(delete(AnswerChoice.__table__).where(AnswerChoice.__table__.c.id.in_(untick)))
    if gone:
        db.session.execute(delete(AnswerChoice.__table__).where(AnswerChoice.__table__.c.answer_id.in_(gone)))
        db.session.execute(delete(Answer.__table__).where(Answer.__table__.c.id.in_(gone)))
    _tick(ticks)
    _insert_answers(response_id, added, new_ticks)
    _forget(stored, gone, untick)


def _with(a: _Stored | None, **change) -> tuple:
    """A stored answer's (value, choice, text) with `change` made (a new answer's others are empty)."""
    row = {"value": None, "choice": None, "text": None} if a is None else {"value": a.value, "choice": a.choice,
                                                                           "text": a.text}
    row.update(change)
    return row["value"], row["choice"], row["text"]


def _forget(stored: dict[int, _Stored], gone: list[int], unticked: list[int]) -> None:
    """Answers and ticks loaded in the session (a caller may hold them) read their rows again when
    next used, as they were written around the ORM; deleted ones leave the session."""
    objects = db.session.identity_map
    answer, choice = db.inspect(Answer), db.inspect(AnswerChoice)
    keys = [(answer.identity_key_from_primary_key((a.id,)), a.id in gone) for a in stored.values()]
    keys += [(choice.identity_key_from_primary_key((tick_id,)), tick_id in unticked or a.id in gone)
             for a in stored.values() for tick_id in a.ticks.values()]
    for key, deleted in keys:
        obj = objects.get(key)
        if obj is not None:
            if deleted:
                db.session.expunge(obj)
            else:
                db.session.expire(obj)
