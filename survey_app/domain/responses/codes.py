"""Household codes: 128 random bits, shown once, stored only as a hash."""
import base64
import hashlib
import re
import secrets

from sqlalchemy import exists, select, update

from ...extensions import db
from ...models import Compound, Household, HouseholdCode, Response, User
from .. import audit
from ..clock import now

TOKEN_BYTES = 16  # 128 bits
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_token() -> str:
    """Return a fresh URL-safe code of 22 characters (128 bits)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).rstrip(b"=").decode()


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def find_any_code(token: str) -> HouseholdCode | None:
    """Return the code issued for a token, live or revoked, or None if malformed or never issued."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    return db.session.scalar(select(HouseholdCode).where(HouseholdCode.code_hash == hash_token(token)))


def find_code(token: str) -> HouseholdCode | None:
    """Return the live code for a token, or None if malformed, unknown or revoked."""
    code = find_any_code(token)
    if code is None or code.revoked_at is not None:
        return None
    return code


def live_count(campaign_id: int, household_ids) -> int:
    """Count households among these (a list of ids, or a select of them) that hold a live code for the campaign."""
    if isinstance(household_ids, (list, tuple, set)) and not household_ids:
        return 0
    q = select(db.func.count(db.distinct(HouseholdCode.household_id))).where(
        HouseholdCode.campaign_id == campaign_id,
        HouseholdCode.household_id.in_(household_ids),
        HouseholdCode.revoked_at.is_(None),
    )
    return db.session.scalar(q) or 0


def revoke_codes(campaign_id: int, household_ids: list[int], reason: str, when=None) -> int:
    """Revoke the households' live codes in the campaign, with the reason; return how many. The caller commits."""
    if not household_ids:
        return 0
    return db.session.execute(
        update(HouseholdCode)
        .where(HouseholdCode.campaign_id == campaign_id, HouseholdCode.household_id.in_(household_ids),
               HouseholdCode.revoked_at.is_(None))
        .values(revoked_at=when or now(), revoke_reason=reason)).rowcount or 0


def issue_codes(campaign_id: int, household_ids: list[int], user_id: int | None = None,
                reason: str = "issued", why: str = "", made: dict[int, str] | None = None) -> dict[int, str]:
    """Issue one new code per household, revoking any live one; return {household_id: token}.

    `made`: tokens already handed out for these households (a print that drew its labels before
    taking the write lock), stored instead of new ones. The caller commits; tokens exist in clear
    only in the returned dict.
    """
    when = now()
    revoked = revoke_codes(campaign_id, household_ids, "reissued", when)
    tokens = made if made is not None else {hid: new_token() for hid in household_ids}
    if tokens:
        db.session.execute(
            HouseholdCode.__table__.insert(),
            [{"code_hash": hash_token(t), "household_id": hid, "campaign_id": campaign_id,
              "issued_at": when, "issued_by_id": user_id} for hid, t in tokens.items()],
        )
    target = f"household:{household_ids[0]}" if len(household_ids) == 1 else f"campaign:{campaign_id}"
    detail = f"活动 {campaign_id}：{len(tokens)} 户发码" + (f"，其中 {revoked} 户旧码作废" if revoked else "") \
        + (f"；原因：{why}" if why else "")
    audit.record("codes." + reason, target, user=db.session.get(User, user_id) if user_id else None, detail=detail,
                 before={"live_codes": revoked} if revoked else None, after={"issued": len(tokens)},
                 where=audit.where_households(household_ids))
    return tokens


def unanswered_in_street(campaign_id: int, street_id: int, count: int) -> list[int]:
    """The first `count` households of a street (by id) with no response in the campaign: the demo's
    and `flask codes sample`'s households to try the survey with."""
    # NOT EXISTS, not NOT IN: PostgreSQL runs a NOT IN over a city's 600,000 answered households
    # that do not fit in work_mem as a scan of them per household.
    answered = exists().where(Response.campaign_id == campaign_id, Response.household_id == Household.id)
    return list(db.session.scalars(
        select(Household.id).join(Compound, Compound.id == Household.compound_id)
        .where(Compound.street_id == street_id, ~answered)
        .order_by(Household.id).limit(count)))


def survey_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + "/s/" + token
