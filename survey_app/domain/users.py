"""Staff accounts: create, re-scope, disable, re-enable and reset a password; log in; the password rule.

The web pages (web/users.py) and `flask user ...` call the same functions. Who may manage whose
account is a role decision and comes from `access` (`require_hold_account`, `require_manage_user`);
an `actor` of None is the command line, which may do anything. Every change records an audit
event with the account's fields before and after (never a password or its hash). Disabling an
account and resetting its password end its sessions at once (`end_sessions`).
Nothing here commits: the caller does, once it has succeeded.
"""
from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from .. import access
from ..database import begin_write, parse_id
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..i18n import listing
from ..models import Building, Company, Compound, District, Street, User, UserGrid
from ..models.users import ROLES
from . import audit
from .clock import now

USERNAME_MAX = 64  # users.username
DISPLAY_NAME_MAX = 64  # users.display_name
GRID_MAX = 64  # user_grids.grid
PASSWORD_MIN = 10
PASSWORD_MAX = 200
# zxcvbn's score: 0 too guessable ... 4 very unguessable; 3 resists an offline attack on a slow hash
# for years (about 10^8 guesses or more).
PASSWORD_MIN_SCORE = 3


def _jurisdictions():
    """Per jurisdiction field: its model and the word for it in a message."""
    return {"district_id": (District, _("区")), "street_id": (Street, _("街道")), "company_id": (Company, _("物业企业"))}


# ---------------------------------------------------------------- passwords

def password_rule() -> str:
    """The rule, as the forms state it."""
    return _("密码至少 %(n)s 个字符，不能包含用户名，不能是常见或容易猜到的密码。", n=PASSWORD_MIN)


def password_problem(password: str, username: str = "", other_words=()) -> str | None:
    """Why the password is refused, or None when it is acceptable.

    At least PASSWORD_MIN characters, not the username and not containing it, and not common or
    easily guessed by the zxcvbn estimator (dictionary words, keyboard runs, repeats, dates, the
    username and the person's name).
    """
    password = password or ""
    if not password:
        return _("密码不能为空。")
    if len(password) < PASSWORD_MIN:
        return _("密码至少需要 %(n)s 个字符。", n=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        return _("密码不能超过 %(n)s 个字符。", n=PASSWORD_MAX)
    name = (username or "").strip().lower()
    if len(name) >= 3 and name in password.lower():
        return _("密码不能包含用户名。")
    words = [w for w in (username, *other_words) if w]
    if zxcvbn(password, user_inputs=words)["score"] < PASSWORD_MIN_SCORE:
        return _("密码太常见或太容易猜到，请换一个更长、更不规则的密码（例如几个不相关的词加数字和符号）。")
    return None


def _require_password(password: str, username: str, display_name: str = "") -> None:
    problem = password_problem(password, username, [display_name])
    if problem:
        raise Invalid(problem)


def _refuse_taken(username: str) -> None:
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(_("用户名 %(username)s 已存在。", username=username))


def _new_hash(password: str) -> str:
    """A password's slow hash (~70 ms), made before SQLite's write lock is taken: a request that has
    not taken it yet (`@parses_first`) takes it here, once the checks and the hash are done."""
    hashed = generate_password_hash(password)
    begin_write(keep_loaded=True)
    return hashed


def _set_password(user: User, password: str) -> None:
    user.password_hash, user.password_changed_at = _new_hash(password), now()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of the current kind that no password matches in practice, to check unknown names against."""
    return generate_password_hash("unknown user: the same work as a real check")


def check_dummy_password(password: str) -> bool:
    """Spend the time of a real password check, so that an unknown username answers as slowly."""
    return check_password_hash(_dummy_hash(), password or "")


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, with its login recorded; else None.

    An unknown username costs the same password check as a known one (its time does not tell
    whether the name exists), and every failure is a security event.
    """
    username = (username or "").strip()[:USERNAME_MAX]
    # No account has a control character in its name (and PostgreSQL refuses NUL in a query).
    known = username and username.isprintable()
    user = db.session.scalar(select(User).where(User.username == username)) if known else None
    if user is None:
        check_dummy_password(password)
        shown = "".join(ch if ch.isprintable() else "\ufffd" for ch in username)
        audit.security_event("login.failed", shown, detail="用户名不存在", actor=shown)
        return None
    if not user.check_password(password or ""):
        audit.security_event("login.failed", username, detail="密码错误", actor=username, where=_where(user))
        return None
    if not user.is_active:
        audit.security_event("login.failed", username, detail="账户已停用", actor=username, where=_where(user))
        return None
    # The password's slow hash was checked before SQLite's write lock is taken (a failed login never
    # takes it: its security event is written after the request): residents answering are not held up.
    if user.password_hash.split("$", 1)[0] != _dummy_hash().split("$", 1)[0]:
        user.password_hash = _new_hash(password)  # an older method or cost: stored again with the current one
    else:
        begin_write(keep_loaded=True)
    user.last_login_at = now()
    audit.record("user.login", _target(user), user=user, where=_where(user))
    return user


def end_sessions(user: User) -> None:
    """End every session the user has, on every device, at their next request."""
    user.session_version = (user.session_version or 0) + 1


# ---------------------------------------------------------------- the account's fields

def _target(user: User) -> str:
    return f"user:{user.id} {user.username}"


def _where(user: User) -> audit.Jurisdiction:
    return audit.Jurisdiction(district_id=user.district_id, street_id=user.street_id, company_id=user.company_id)


def grids_of_streets(street_ids) -> dict[int, list[str]]:
    """{street id: its grid labels, sorted} for the given streets, in one query."""
    ids = [i for i in street_ids if i is not None]
    out: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = db.session.execute(
        select(Compound.street_id, Building.grid).distinct().join(Compound, Compound.id == Building.compound_id)
        .where(Compound.street_id.in_(ids), Building.grid.is_not(None), Building.grid != "")
        .order_by(Compound.street_id, Building.grid))
    for street_id, grid in rows:
        out[street_id].append(grid)
    return out


def street_grids(street_id: int | None) -> list[str]:
    """The grid labels of the buildings in a street (the grids a grid worker can be given)."""
    return grids_of_streets([street_id]).get(street_id, [])


def _placement(role: str, district_id, street_id, company_id) -> dict:
    """The district, street and company fields an account of this role gets (the others None).

    :raise Invalid: unknown role, a jurisdiction the role needs is missing, an id that does not
        exist, or a street outside the given district.
    """
    if role not in ROLES:
        raise Invalid(_("没有角色 %(role)s；可用的角色：%(roles)s。", role=role, roles=listing(ROLES)))
    kinds = _jurisdictions()
    given = {"district_id": district_id, "street_id": street_id, "company_id": company_id}
    needed = access.jurisdiction_of_role(role)
    if needed is not None and given[needed] in (None, ""):
        raise Invalid(_("角色 %(role)s 需要指定所属%(what)s。", role=role, what=kinds[needed][1]))
    found = {}
    for field, ident in given.items():
        if ident is None or ident == "":
            given[field] = None
            continue
        model, what = kinds[field]
        pk = parse_id(ident)
        found[field] = db.session.get(model, pk) if pk is not None else None
        if found[field] is None:
            raise Invalid(_("没有编号为 %(id)s 的%(what)s。", id=ident, what=what))
        given[field] = pk

    street = found.get("street_id")
    placed = {"district_id": None, "street_id": None, "company_id": None}
    if needed == "street_id":
        if given["district_id"] not in (None, street.district_id):
            raise Invalid(_("街道 %(street)s 不在编号为 %(id)s 的区内。", street=street.name, id=given["district_id"]))
        placed.update(district_id=street.district_id, street_id=street.id)
    elif needed is not None:
        placed[needed] = given[needed]
    return placed


def _clean_grids(role: str, street_id: int | None, grids) -> list[str]:
    """The grids a grid worker is given, each one of the street's; none for other roles.

    :raise Invalid: a grid that no building of the street has.
    """
    if not access.needs_grids(role):
        return []
    wanted = []
    for g in grids or ():
        g = (g or "").strip()[:GRID_MAX]
        if g and g not in wanted:
            wanted.append(g)
    known = set(street_grids(street_id))
    unknown = [g for g in wanted if g not in known]
    if unknown:
        raise Invalid(_("该街道没有网格：%(grids)s。", grids=listing(unknown)))
    return sorted(wanted)


def _set_grids(user: User, grids: list[str]) -> None:
    keep = {g.grid: g for g in user.grids}
    user.grids = [keep.get(g) or UserGrid(grid=g) for g in grids]


def _names(username: str, display_name: str) -> tuple[str, str]:
    username = (username or "").strip()
    display_name = (display_name or "").strip() or username
    if not username:
        raise Invalid(_("用户名不能为空。"))
    if not (username.isprintable() and display_name.isprintable()):
        raise Invalid(_("用户名和姓名不能包含控制字符。"))
    if len(username) > USERNAME_MAX:
        raise Invalid(_("用户名不能超过 %(n)s 个字符。", n=USERNAME_MAX))
    if len(display_name) > DISPLAY_NAME_MAX:
        raise Invalid(_("姓名不能超过 %(n)s 个字符。", n=DISPLAY_NAME_MAX))
    return username, display_name


# ---------------------------------------------------------------- managing accounts

def create_user(username: str, role: str, *, display_name: str = "", district_id: int | None = None,
                street_id: int | None = None, company_id: int | None = None, password: str,
                grids=(), actor: User | None = None) -> User:
    """A new staff account, added to the session (not committed) and audited.

    A street or grid account takes its district from its street; a grid worker is given `grids`
    (grid labels of the street's buildings).

    :raise Invalid: empty or too long username or name, unknown role, a role without the district,
        street or company it needs, or an id of one that does not exist, an unknown grid, a weak
        password.
    :raise Forbidden: the actor may not create this role there.
    :raise Conflict: the username is taken.
    """
    username, display_name = _names(username, display_name)
    if not password:
        raise Invalid(_("密码不能为空。"))
    placed = _placement(role, district_id, street_id, company_id)
    if actor is not None:
        access.require_hold_account(actor, role, **placed)
    _refuse_taken(username)
    chosen = _clean_grids(role, placed["street_id"], grids)
    _require_password(password, username, display_name)
    hashed = _new_hash(password)  # SQLite's write lock is taken after the hash; under it, the name is
    _refuse_taken(username)  # checked again (another account may have taken it meanwhile)
    user = User(username=username, role=role, display_name=display_name, active=True, session_version=0,
                created_at=now(), password_hash=hashed, password_changed_at=now(), **placed)
    _set_grids(user, chosen)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", _target(user), user=actor, after=user.snapshot(), where=_where(user),
                 actor=None if actor is not None else "cli")
    return user


def update_user(target: User, *, role: str, display_name: str = "", district_id=None, street_id=None,
                company_id=None, grids=(), actor: User | None = None) -> User:
    """Change an account's name, role, jurisdiction and grids (re-scope it); audited.

    :raise Invalid: as `create_user`. :raise Forbidden: the actor may not manage the account as it
        is, or may not give it the new role and jurisdiction.
    """
    if actor is not None:
        access.require_manage_user(actor, target)
    _username, display_name = _names(target.username, display_name)
    placed = _placement(role, district_id, street_id, company_id)
    if actor is not None:
        access.require_hold_account(actor, role, **placed)
    chosen = _clean_grids(role, placed["street_id"], grids)
    before = target.snapshot()
    target.display_name, target.role = display_name, role
    for field, value in placed.items():
        setattr(target, field, value)
    _set_grids(target, chosen)
    after = target.snapshot()
    if after != before:
        if (before["role"], before["district_id"], before["street_id"], before["company_id"]) != (
                after["role"], after["district_id"], after["street_id"], after["company_id"]):
            end_sessions(target)  # a new jurisdiction starts from a fresh login
        audit.record("user.updated", _target(target), user=actor, before=before, after=after,
                     where=_where(target), actor=None if actor is not None else "cli")
    return target


def disable_user(target: User, actor: User | None = None) -> User:
    """Disable an account: it can no longer log in and its sessions end at once.

    :raise Forbidden: not the actor's to manage (their own included). :raise Conflict: already disabled.
    """
    if actor is not None:
        access.require_manage_user(actor, target)
    if not target.active:
        raise Conflict(_("账户 %(username)s 已经停用。", username=target.username))
    before = target.snapshot()
    target.active = False
    end_sessions(target)
    audit.record("user.disabled", _target(target), user=actor, before=before, after=target.snapshot(),
                 where=_where(target), actor=None if actor is not None else "cli")
    return target


def enable_user(target: User, actor: User | None = None) -> User:
    """Re-enable a disabled account.

    :raise Forbidden: not the actor's to manage. :raise Conflict: not disabled.
    """
    if actor is not None:
        access.require_manage_user(actor, target)
    if target.active:
        raise Conflict(_("账户 %(username)s 没有停用。", username=target.username))
    before = target.snapshot()
    target.active = True
    audit.record("user.enabled", _target(target), user=actor, before=before, after=target.snapshot(),
                 where=_where(target), actor=None if actor is not None else "cli")
    return target


def reset_password(target: User, password: str, actor: User | None = None) -> User:
    """Give an account a new password; its sessions end at once.

    :raise Forbidden: not the actor's to manage. :raise Invalid: a weak password.
    """
    if actor is not None:
        access.require_manage_user(actor, target)
    _require_password(password, target.username, target.display_name)
    _set_password(target, password)
    end_sessions(target)
    audit.record("user.password_reset", _target(target), user=actor, where=_where(target),
                 actor=None if actor is not None else "cli")
    return target


def change_own_password(user: User, current: str, new: str) -> User:
    """A user's own new password, given the current one; their other sessions end at once
    (the caller binds this browser's session to the new version).

    :raise Invalid: the current password is wrong, or the new one is weak or the same.
    """
    if not user.check_password(current or ""):
        audit.security_event("password.wrong", _target(user), detail="修改密码时当前密码错误", actor=user.username,
                             where=_where(user))
        raise Invalid(_("当前密码不正确。"))
    if current == new:
        raise Invalid(_("新密码不能与当前密码相同。"))
    _require_password(new, user.username, user.display_name)
    _set_password(user, new)
    end_sessions(user)
    audit.record("user.password_changed", _target(user), user=user, where=_where(user))
    return user


def find_user(username: str) -> User:
    """:raise NotFound: no account with this username."""
    username = (username or "").strip()
    user = db.session.scalar(select(User).where(User.username == username)) if username.isprintable() else None
    if user is None:
        raise NotFound(_("没有用户名为 %(username)s 的账户。", username=username))
    return user
