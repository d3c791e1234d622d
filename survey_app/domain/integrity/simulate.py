"""Proof by simulation (`flask integrity simulate`): cheating injected into a campaign, the scan run,
and what it held of the cheating, of the genuine answers, and of the cheat's ranking band.

The world: the campaign's own responses (the demo's carry no signals: never suspect by device), a
genuine background generated with signals (one phone per household, carrier networks shared by a
few households over the weeks, log-normal durations around 5-6 minutes, varied answers and
comments, a few later changes from the same phone) and the genuine control (whole compounds
answering from one carrier address on a visit evening). Each attack is then injected on its own
(a savepoint, rolled back after it is measured): company staff on three phones, a burst from one
address, speeders, copied comments, a grid worker filling "assisted" answers alone.

Answers go through `save_response` with a `Seen` and the submission's time, as a request would
store them. Nothing is committed here: the command rolls everything back (`cli.keeps_nothing`).
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from ... import access
from ...errors import Conflict
from ...extensions import db
from ...models import Answer, Building, Campaign, Company, Compound, Household, Response, User, UserGrid
from ..clock import now
from ..responses.survey import ParsedSurvey, save_response
from ..stats.reports import company_ranking
from .detectors import Thresholds
from .first_answers import FirstAnswers, fits
from .scan import scan
from .signals import Seen

AIM_HELD = 0.95  # at least this share of the injected answers held
AIM_GENUINE = 0.02  # at most this share of the genuine ones (and of the control) held
STAFF_SHARE = 0.15  # of the attacker company's households filled in by its staff
MEDIAN_SECONDS, SIGMA = 330.0, 0.45  # genuine durations: log-normal around 5.5 minutes

LABELS = {
    "control": _l("对照：整小区走访晚上同一运营商地址作答"),
    "staff": _l("物业员工三部手机代填 15% 住户"),
    "burst": _l("同一地址连续作答（清除 Cookie）"),
    "speed": _l("极速作答"),
    "copied": _l("复制粘贴同一意见"),
    "worker": _l("网格员独自“协助填写”"),
}

PHRASES = ["垃圾清运不及时", "停车位不够", "楼道灯坏了", "电梯经常停运", "绿化没人修剪", "保安不巡逻",
           "报修没人来", "收费不公开", "服务态度很好", "小区环境干净", "希望继续保持", "下水道堵塞",
           "外来车辆随便进", "快递乱堆放", "晚上噪音大", "物业电话打不通", "保洁阿姨很辛苦", "门禁经常坏"]
DETAILS = ["已经说过好几次了", "希望尽快处理", "上个月反映过", "老人孩子不方便", "下雨天更严重",
           "周末尤其明显", "打了热线也没用", "其他都还可以", "比去年好一些", "邻居们都有意见"]
PRAISE = "物业公司服务非常到位，保安二十四小时巡逻，保洁每天打扫，维修随叫随到，小区环境越来越好，我们全家都非常满意！"
PRAISE_EDITS = [("非常到位", "十分到位"), ("我们全家都", "我们"), ("！", "，点赞！"), ("每天打扫", "天天打扫"),
                ("，", ","), ("越来越好", "越来越好了")]
ANDROID = ["V2307A", "PJZ110", "23127PN0CC", "ALN-AL00", "PGT-AN10", "M2012K11AC", "V2284A", "RMX3706",
           "NOH-AN00", "22081212C", "PHB110", "ANY-AN00", "CPH2451", "2206122SC", "LIO-AN00", "V2243A"]


@dataclass
class Outcome:
    """One scenario's figures after the scan."""

    key: str
    attack: bool = True
    injected: int = 0
    injected_held: int = 0
    genuine: int = 0  # the campaign's own responses and the generated background
    genuine_held: int = 0
    control: int = 0
    control_held: int = 0
    company: str | None = None  # who the injected answers favour
    band_before: int | None = None  # its band before the injection
    band_published: int | None = None  # its band after the scan, held answers left out
    band_with_held: int | None = None  # its band had nothing been held

    @property
    def label(self) -> str:
        """The scenario in words."""
        return str(LABELS[self.key])

    @property
    def injected_share(self) -> float:
        """Share of the injected answers held."""
        return self.injected_held / self.injected if self.injected else 0.0

    @property
    def genuine_share(self) -> float:
        """Share of the genuine answers (the campaign's own and the background) held."""
        return self.genuine_held / self.genuine if self.genuine else 0.0

    @property
    def control_share(self) -> float:
        """Share of the control's answers held."""
        return self.control_held / self.control if self.control else 0.0

    @property
    def passed(self) -> bool:
        """The aim: an attack held at AIM_HELD or more (the control at AIM_GENUINE at most), genuine
        answers and the control at AIM_GENUINE at most, the favoured company's published band unchanged."""
        injected = self.injected_share >= AIM_HELD if self.attack else self.injected_share <= AIM_GENUINE
        return (injected and self.genuine_share <= AIM_GENUINE and self.control_share <= AIM_GENUINE
                and self.band_published == self.band_before)


@dataclass
class Simulation:
    """Every scenario's outcome, the control first."""

    seed: int
    outcomes: list[Outcome] = field(default_factory=list)
    own: int = 0  # the campaign's responses before the simulation
    background: int = 0  # genuine responses generated with signals

    @property
    def passed(self) -> bool:
        """Whether every scenario met the aim."""
        return all(o.passed for o in self.outcomes)


@dataclass(frozen=True)
class Home:
    """A household waiting to answer, with where it lives."""

    id: int
    compound_id: int
    company_id: int | None


class World:
    """The campaign's households not yet answered, and the writing of answers into it. With `bulk`,
    first answers are kept in a `FirstAnswers` and written by `flush` (the demo's story)."""

    def __init__(self, campaign: Campaign, seed: int, bulk: bool = False):
        self.campaign = campaign
        self.bulk = FirstAnswers(campaign) if bulk else None
        self.kept: set[int] = set()  # households whose first answers wait in `bulk`
        self.rng = random.Random(seed)  # nosec B311  # a reproducible simulation, not a secret
        self.area = access.scope_of(campaign)
        self.start = campaign.opens_at
        self.end = min(now(), campaign.closes_at) - timedelta(minutes=5)
        self.days = [d for d in _dates(self.start, self.end)
                     if datetime.combine(d, time(18)) >= self.start and datetime.combine(d, time(23)) <= self.end]
        if len(self.days) < 4:
            raise Conflict(_("活动开始不足四天，没有可模拟的晚上。"))
        self.scored = [q for q in campaign.questions if q.scored]
        # NOT EXISTS, not NOT IN: PostgreSQL turns a NOT IN over 600,000 ids that do not fit in
        # work_mem into a scan per household.
        answered = exists().where(Response.campaign_id == campaign.id, Response.household_id == Household.id)
        q = (select(Household.id, Household.compound_id, Compound.company_id)
             .join(Compound, Compound.id == Household.compound_id)
             .where(self.area.compound_clause(), ~answered).order_by(Household.id))
        self.free: dict[int, list[Home]] = defaultdict(list)
        for hid, kid, co in db.session.execute(q):
            self.free[kid].append(Home(hid, kid, co))
        for homes in self.free.values():
            self.rng.shuffle(homes)
        self.means = dict(db.session.execute(
            select(Response.compound_id, func.avg(Answer.value)).join(Answer, Answer.response_id == Response.id)
            .where(Response.campaign_id == campaign.id, Answer.value.is_not(None))
            .group_by(Response.compound_id)).all())

    # ---- households

    def take(self, compound_id: int, n: int) -> list[Home]:
        """Up to n households of the compound that have not answered (each taken once)."""
        homes = self.free.get(compound_id, [])
        taken, self.free[compound_id] = homes[:n], homes[n:]
        return taken

    def free_of(self, company_id: int) -> int:
        """How many of the company's households are waiting."""
        return sum(len(h) for kid, h in self.free.items() if h and h[0].company_id == company_id)

    def take_of_company(self, company_id: int, n: int) -> list[Home]:
        """Up to n households of the company's compounds, taken from each in turn."""
        pools = [kid for kid, h in sorted(self.free.items()) if h and h[0].company_id == company_id]
        out: list[Home] = []
        while len(out) < n and pools:
            for kid in list(pools):
                got = self.take(kid, 1)
                if not got:
                    pools.remove(kid)
                out += got
                if len(out) >= n:
                    break
        return out

    # ---- what a submission carries

    def phone(self) -> str:
        """A new device cookie (a phone, or a browser whose cookies were cleared)."""
        return f"sim-{self.rng.getrandbits(96):024x}"

    def agent(self) -> str:
        """A WeChat browser's user agent: iPhones of one iOS and WeChat version look alike; Android
        names the model."""
        rng = self.rng
        wechat = rng.choices(["8.0.49", "8.0.50", "8.0.51", "8.0.53"], [1, 2, 4, 3])[0]
        if rng.random() < 0.35:
            ios = rng.choices(["16_7", "17_5", "17_6", "18_0", "18_1"], [1, 2, 3, 2, 2])[0]
            return (f"Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/605.1.15 "
                    f"(KHTML, like Gecko) Mobile/15E148 MicroMessenger/{wechat} NetType/4G Language/zh_CN")
        android = rng.choice(["12", "13", "14"])
        return (f"Mozilla/5.0 (Linux; Android {android}; {rng.choice(ANDROID)} Build/TP1A) AppleWebKit/537.36 "
                f"(KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36 MicroMessenger/{wechat} NetType/4G")

    def carrier(self) -> str:
        """A mobile carrier's /24 (the first three parts of an address)."""
        return f"{self.rng.choice([117, 223, 112, 120])}.{self.rng.randrange(1, 255)}.{self.rng.randrange(256)}"

    def duration(self) -> float:
        """A genuine sitting's seconds (log-normal around MEDIAN_SECONDS)."""
        return min(self.rng.lognormvariate(0, SIGMA) * MEDIAN_SECONDS, 3600.0)

    def moment(self) -> datetime:
        """A time of day residents answer at, on any day of the campaign so far."""
        while True:
            hour = self.rng.choices(range(7, 24), [1, 2, 2, 2, 3, 3, 2, 2, 2, 2, 3, 4, 6, 7, 6, 4, 2])[0]
            at = datetime.combine(self.rng.choice(self.days), time(hour)) + timedelta(seconds=self.rng.randrange(3600))
            if self.start < at < self.end:
                return at

    def evening(self, day: date) -> datetime:
        """A moment between 19:00 and 19:30 of the day."""
        return datetime.combine(day, time(19)) + timedelta(seconds=self.rng.randrange(1800))

    # ---- answers

    def genuine_answers(self, compound_id: int) -> dict[int, int | None]:
        """A resident's answers: around the compound's mean, some all 5, an occasional "not applicable"."""
        rng = self.rng
        if rng.random() < 0.12:  # content residents: every answer 5
            return {q.id: 5 for q in self.scored}
        mu = float(self.means.get(compound_id) or 3.8) + rng.gauss(0, 0.5)
        return {q.id: None if q.allow_na and rng.random() < 0.05 else min(5, max(1, round(rng.gauss(mu, 0.8))))
                for q in self.scored}

    def top_answers(self, alike: float = 0.7) -> dict[int, int | None]:
        """What a cheat gives: every answer 5, or 5 with a 4 or two."""
        if self.rng.random() < alike:
            return {q.id: 5 for q in self.scored}
        return {q.id: 4 if self.rng.random() < 0.15 else 5 for q in self.scored}

    def genuine_comment(self) -> str | None:
        """Mostly none, some short ones, a few longer ones put together (none alike)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.82:
            return None
        if roll < 0.96:
            return rng.choice(PHRASES) + "。"
        return f"{rng.randrange(1, 30)}号楼{'，'.join(rng.sample(PHRASES, 2))}，{rng.choice(DETAILS)}。"

    def save(self, home: Home, seen: Seen, at: datetime, answers: dict, comment: str | None = None,
             mode: str = "self", worker_id: int | None = None) -> int:
        """Store the household's answers submitted at `at` from `seen`; the response's id."""
        if self.bulk is not None:
            if home.id not in self.kept and fits(ParsedSurvey(answers=answers, comment=comment), mode):
                self.kept.add(home.id)
                return self.bulk.add(home.id, home.compound_id, home.company_id,
                                     ParsedSurvey(answers=answers, comment=comment), seen, at)
            self.flush()  # a later change: the first answers it replaces are written first
        resp = save_response(self.campaign, home.id, ParsedSurvey(answers=answers, comment=comment), mode,
                             worker_id, None, seen, when=at)
        return resp.id

    def flush(self) -> None:
        """Write the first answers kept in `bulk`, if any."""
        if self.bulk is not None:
            self.bulk.flush()

    def session(self, home: Home, device: str, address: str, agent: str, opened: datetime, seconds: float,
                answers: dict, comment: str | None = None, **kw) -> tuple[int, datetime]:
        """One sitting: opened, answered `seconds` later; the response's id and its submission time."""
        at = opened + timedelta(seconds=round(seconds))
        return self.save(home, Seen(device, address, agent, opened), at, answers, comment, **kw), at


def _dates(start: datetime, end: datetime) -> list[date]:
    out, d = [], start.date()
    while d <= end.date():
        out.append(d)
        d += timedelta(days=1)
    return out


def _host(prefix: str, rng: random.Random) -> str:
    return f"{prefix}.{rng.randrange(1, 255)}"


# ---- the genuine world

def background(world: World, share: float = 0.25) -> list[int]:
    """Genuine answers with signals from a share of every compound's waiting households, over the weeks."""
    rng = world.rng
    ids = []
    homes = [h for kid in sorted(world.free) for h in world.take(kid, round(len(world.free[kid]) * share))]
    prefixes = [world.carrier() for _ in range(max(1, len(homes) // 3))]
    changes = []
    for home in homes:
        device, agent = world.phone(), world.agent()
        address = _host(rng.choice(prefixes), rng)
        submitted = world.moment()
        seconds = world.duration()
        rid, at = world.session(home, device, address, agent, submitted - timedelta(seconds=seconds), seconds,
                                world.genuine_answers(home.compound_id), world.genuine_comment())
        ids.append(rid)
        if rng.random() < 0.03:
            changes.append((home, device, agent, at))
    for home, device, agent, at in changes:  # a later change from the same phone, maybe elsewhere
        later = at + timedelta(hours=rng.uniform(2, 72))
        if later < world.end:
            seconds = world.duration() / 2
            world.session(home, device, _host(world.carrier(), rng), agent, later - timedelta(seconds=seconds),
                          seconds, world.genuine_answers(home.compound_id))
    return ids


def control(world: World, avoid: int | None) -> tuple[list[int], int | None]:
    """Whole compounds answering on a visit evening from one carrier address each: overlapping
    sittings, many phones, realistic durations, varied answers. The ids, and the company."""
    rng = world.rng
    by_company: dict[int, list[int]] = defaultdict(list)
    for kid, homes in world.free.items():
        if homes and homes[0].company_id is not None and homes[0].company_id != avoid:
            by_company[homes[0].company_id].append(kid)
    if not by_company:
        return [], None
    company = max(sorted(by_company), key=lambda c: sum(len(world.free[k]) for k in by_company[c]))
    compounds = sorted(by_company[company], key=lambda k: -len(world.free[k]))[:2]
    ids = []
    for kid in compounds:
        address, day = _host(world.carrier(), rng), rng.choice(world.days[:-1])
        start = datetime.combine(day, time(19))
        homes = world.take(kid, min(150, round(len(world.free[kid]) * 0.8)))
        for home in homes:
            opened = start + timedelta(minutes=rng.triangular(0, 150, 20))
            ids.append(world.session(home, world.phone(), address, world.agent(), opened, world.duration(),
                                     world.genuine_answers(kid), world.genuine_comment())[0])
    return ids, company


# ---- the attacks

def staff(world: World, company_id: int) -> list[int]:
    """Company staff filling STAFF_SHARE of the company's households from three phones over 3-4 evenings."""
    rng = world.rng
    households = db.session.scalar(select(func.count(Household.id)).join(Compound, Compound.id == Household.compound_id)
                                   .where(Compound.company_id == company_id, world.area.compound_clause()))
    homes = world.take_of_company(company_id, round(households * STAFF_SHARE))
    phones = [(world.phone(), world.carrier(), world.agent()) for _ in range(3)]
    evenings = sorted(rng.sample(world.days[:-1], rng.randint(3, 4)))
    ids = []
    per_sitting = -(-len(homes) // (len(phones) * len(evenings)))
    queue = iter(homes)
    for day in evenings:
        for device, prefix, agent in phones:
            address = _host(prefix, rng)
            opened = world.evening(day)
            for _seat in range(per_sitting):
                home = next(queue, None)
                if home is None:
                    break
                rid, at = world.session(home, device, address, agent, opened, rng.uniform(70, 180),
                                        world.top_answers())
                ids.append(rid)
                opened = at + timedelta(seconds=rng.uniform(5, 60))
    return ids


def burst(world: World, company_id: int, n: int = 25) -> list[int]:
    """One person at one address answering for n households of a compound one after another,
    clearing cookies each time (a new device id, the same network and browser)."""
    rng = world.rng
    compound = max((k for k, h in sorted(world.free.items()) if h and h[0].company_id == company_id),
                   key=lambda k: len(world.free[k]))
    address, agent = _host(world.carrier(), rng), world.agent()
    opened = world.evening(rng.choice(world.days[:-1]))
    ids = []
    for home in world.take(compound, n):
        rid, at = world.session(home, world.phone(), address, agent, opened, rng.uniform(100, 240),
                                world.top_answers())
        ids.append(rid)
        opened = at + timedelta(seconds=rng.uniform(5, 90))
    return ids


def speeders(world: World, company_id: int, n: int = 30) -> list[int]:
    """Answers clicked through in 15-50 seconds, each from its own phone and network, over the weeks."""
    ids = []
    for home in world.take_of_company(company_id, n):
        submitted, seconds = world.moment(), world.rng.uniform(15, 50)
        ids.append(world.session(home, world.phone(), _host(world.carrier(), world.rng), world.agent(),
                                 submitted - timedelta(seconds=seconds), seconds, world.top_answers())[0])
    return ids


def copied(world: World, company_id: int, n: int = 30) -> list[int]:
    """The same long praise pasted, with small edits, by households of the company's two largest
    compounds, each from its own phone at its own time."""
    rng = world.rng
    compounds = sorted((k for k, h in world.free.items() if h and h[0].company_id == company_id),
                       key=lambda k: (-len(world.free[k]), k))[:2]
    homes = [h for k in compounds for h in world.take(k, -(-n // len(compounds)))][:n]
    ids = []
    for home in homes:
        text = PRAISE
        for old, new in rng.sample(PRAISE_EDITS, rng.randint(0, 2)):
            text = text.replace(old, new, 1)
        submitted, seconds = world.moment(), world.duration()
        ids.append(world.session(home, world.phone(), _host(world.carrier(), rng), world.agent(),
                                 submitted - timedelta(seconds=seconds), seconds, world.top_answers(), text)[0])
    return ids


def grid_worker(world: World, n: int = 25) -> tuple[list[int], int | None]:
    """A grid worker filling "assisted" answers alone for households of his grids, all high and
    alike, over a few afternoons from his phone. The ids, and the company most of them favour."""
    rng = world.rng
    worker = _worker(world)
    mine = set(db.session.scalars(select(Household.id).where(access.household_clause(worker))))
    counts: dict[int, int] = defaultdict(int)
    for homes in world.free.values():
        for h in homes:
            if h.id in mine and h.company_id is not None:
                counts[h.company_id] += 1
    if not counts:
        return [], None
    company = max(sorted(counts), key=counts.__getitem__)
    pool = [h for kid in sorted(world.free) for h in world.free[kid] if h.id in mine and h.company_id == company]
    homes = pool[:n]
    for h in homes:
        world.free[h.compound_id].remove(h)
    device, address, agent = world.phone(), _host(world.carrier(), rng), world.agent()
    days = sorted(rng.sample(world.days[:-1], 4))
    ids = []
    for i, home in enumerate(homes):
        opened = datetime.combine(days[i % len(days)], time(14)) + timedelta(minutes=rng.uniform(0, 200))
        ids.append(world.session(home, device, address, agent, opened, rng.uniform(150, 300),
                                 world.top_answers(0.85), mode="assisted", worker_id=worker.id)[0])
    return ids, company


def _worker(world: World) -> User:
    """A grid worker of the campaign's scope with waiting households in his grids; one is made (and
    rolled back with the rest) when the campaign has none."""
    waiting = {h.id for homes in world.free.values() for h in homes}
    for user in db.session.scalars(select(User).where(access.account_role_clause("grid")).order_by(User.id)):
        if access.is_grid_worker(user) and waiting & set(db.session.scalars(
                select(Household.id).where(access.household_clause(user)))):
            return user
    kid = max(sorted(world.free), key=lambda k: len(world.free[k]))
    compound = db.session.get(Compound, kid)
    grids = sorted(set(db.session.scalars(select(Building.grid).where(Building.compound_id == kid))))
    user = User(username=f"sim-grid-{world.rng.getrandbits(32):08x}", password_hash="!", role="grid",  # nosec B106
                display_name="模拟网格员", district_id=compound.district_id, street_id=compound.street_id,
                created_at=now(), grids=[UserGrid(grid=g) for g in grids])
    db.session.add(user)
    db.session.flush()
    return user


# ---- the measure

def _bands(campaign: Campaign, include_held: bool) -> dict[int, int | None]:
    return {r.stats.key: r.band for r in company_ranking(campaign, access.scope_of(campaign), include_held).rows}


def pick_attacker(campaign: Campaign, world: World) -> int:
    """A mid-ranked company with the most households: one whose band a cheat could move.

    :raise Conflict: no company is ranked in the campaign.
    """
    ranked = company_ranking(campaign, access.scope_of(campaign)).ranked
    if not ranked:
        raise Conflict(_("本次测评还没有参与排名的物业企业，无法模拟。"))
    third = len(ranked) // 3
    middle = ranked[third:len(ranked) - third] or ranked
    return max(middle, key=lambda r: (world.free_of(r.stats.key), -r.stats.key)).stats.key


def measure(campaign: Campaign, key: str, injected: list[int], control_ids: list[int], company: int | None,
            before: dict[int, int | None], th: Thresholds | None, doubted: frozenset[int] = frozenset()) -> Outcome:
    """Scan the campaign and count what was held of each kind of answer; the company's bands.
    `doubted`: responses already held or rejected before the simulation, neither genuine nor injected."""
    scan(campaign, th)
    status = dict(db.session.execute(select(Response.id, Response.status)
                                     .where(Response.campaign_id == campaign.id)).all())
    held = {rid for rid, s in status.items() if s == "held"}
    attack = key != "control"
    injected_set, control_set = set(injected), set(control_ids)
    genuine = set(status) - injected_set - control_set - doubted
    name = db.session.get(Company, company).name if company is not None else None
    return Outcome(key=key, attack=attack, injected=len(injected_set), injected_held=len(injected_set & held),
                   genuine=len(genuine), genuine_held=len(genuine & held), control=len(control_set),
                   control_held=len(control_set & held), company=name,
                   band_before=before.get(company), band_published=_bands(campaign, False).get(company),
                   band_with_held=_bands(campaign, True).get(company))


def simulate(campaign: Campaign, seed: int = 1, th: Thresholds | None = None) -> Simulation:
    """Build the genuine world, then inject each attack on its own and measure it (module docstring).

    Everything is written to the session and left for the caller to roll back.
    """
    result = Simulation(seed=seed)
    result.own = db.session.scalar(select(func.count(Response.id)).where(Response.campaign_id == campaign.id))
    doubted = frozenset(db.session.scalars(select(Response.id).where(Response.campaign_id == campaign.id,
                                                                     Response.status != "published")))
    world = World(campaign, seed)
    attacker = pick_attacker(campaign, world)
    result.background = len(background(world))
    control_ids, control_company = control(world, avoid=attacker)
    before = _bands(campaign, False)

    def run(key, inject):
        savepoint = db.session.begin_nested()
        injected, company = inject()
        result.outcomes.append(measure(campaign, key, injected, control_ids, company, before, th, doubted))
        savepoint.rollback()

    run("control", lambda: (control_ids, control_company))
    run("staff", lambda: (staff(world, attacker), attacker))
    run("burst", lambda: (burst(world, attacker), attacker))
    run("speed", lambda: (speeders(world, attacker), attacker))
    run("copied", lambda: (copied(world, attacker), attacker))
    run("worker", lambda: grid_worker(world))
    return result


def demo_story(campaign: Campaign, seed: int = 1) -> int:
    """The demo's integrity story, kept (the caller commits): a genuine background with signals and
    one company's staff filling its households' codes on three phones, then the scan; the staff's
    answers wait in the review queue. Returns how many responses are held.

    First answers are written in bulk (`FirstAnswers`); the scan then rebuilds the maintained totals."""
    world = World(campaign, seed, bulk=True)
    attacker = pick_attacker(campaign, world)
    background(world, share=0.05)
    staff(world, attacker)
    world.flush()
    return scan(campaign, rebuild_totals=True).held
