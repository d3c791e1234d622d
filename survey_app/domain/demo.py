"""A realistic demo city: regions with Chinese names, companies, one open campaign, responses."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import access
from ..extensions import db
from ..models import (Answer, AnswerChoice, Building, Community, Company, Compound, District, Household, Response,
                      Street, User, UserGrid)
from .bulk import indexes_deferred, insert_rows, more_memory, next_id, reset_sequences
from .responses import totals
from .clock import now
from .campaigns.standard import create_campaign
from .stats.scoring import response_index
from .responses.survey import dimension_specs
from .integrity import simulate as integrity_demo
from .rectification import demo as rectification_demo
from .responses.codes import issue_codes, survey_url, unanswered_in_street
from .users import street_grids

DEMO_PASSWORD = "demo12345"  # nosec B105  # the published demo login, loaded only into a demo database
# What residents write, good and bad, some with contact details a company must not see.
COMMENTS = ["垃圾清运不及时，夏天味道很大。", "保安很负责，晚上巡逻也勤。", "地下车库灯坏了好久没人修。",
            "电梯经常停，报修后三天才来人，我的电话13912345678。", "物业费收支从来不公示，希望公开。",
            "绿化修剪得很好，小区环境不错。", "楼道堆放杂物，消防通道被堵。", "我住3号楼2单元502室，楼上漏水一直没解决。",
            "停车太乱，外来车辆随便进。", "客服态度好，办事效率高。", "门禁坏了一个月了。",
            "希望增加健身器材，老人孩子都需要。"]
TICKS = (0, 1, 2)  # how many categories a resident names as most needing improvement ...
TICK_WEIGHTS = (3, 4, 3)  # ... and how often
OTHER_WEIGHT = 0.4  # "other" against a dimension scored 5 (weight 0.25) or 1 (20.25)


@dataclass(frozen=True)
class Size:
    districts: int
    streets: int
    communities: int
    compounds: int
    households: int
    companies: int


SIZES = {
    "small": Size(districts=2, streets=6, communities=15, compounds=30, households=8000, companies=8),
    "city": Size(districts=5, streets=21, communities=206, compounds=2000, households=1_000_000, companies=300),
}

DISTRICTS = ["市中区", "薛城区", "峄城区", "台儿庄区", "山亭区", "高新区", "滕州市"]
STREET_WORDS = ["文化路", "光明路", "龙山路", "西昌路", "矿区", "永安", "齐村", "税郭", "孟庄", "沙沟", "常庄",
                "临城", "兴仁", "兴城", "陶庄", "邹坞", "周营", "沙河", "张范", "坛山", "古邵", "榴园", "吴林",
                "阴平", "底阁", "峨山", "兴隆", "北庄", "新安", "城头"]
COMMUNITY_WORDS = ["幸福", "阳光", "和谐", "康乐", "翠苑", "锦绣", "丽景", "春晖", "安居", "建设", "振兴", "青年",
                   "胜利", "团结", "东风", "朝阳", "向阳", "金桥", "长安", "新华", "光华", "民主", "解放", "育才",
                   "荷花", "桃园", "杏坛", "书院", "泰和", "富源"]
COMPOUND_A = ["金色", "碧水", "翡翠", "御景", "龙湖", "绿地", "君悦", "紫荆", "香榭", "枫林", "银河", "宏达",
              "盛世", "锦华", "华府", "凤凰", "水岸", "东湖", "南山", "西城", "恒大", "天泽", "瑞景", "书香",
              "怡和", "嘉园", "铭城", "万象", "百合", "丰泽"]
COMPOUND_B = ["花园", "小区", "家园", "新村", "雅居", "公馆", "名苑", "华庭", "佳苑", "府邸", "城", "湾"]
COMPANY_A = ["鲁南", "金鼎", "万家", "恒信", "安泰", "瑞祥", "德润", "宏远", "华通", "鑫诚", "泰和", "嘉禾",
             "中泽", "荣盛", "正祥", "康达", "永兴", "广厦", "鼎盛", "华宇", "圣华", "明珠", "丰源", "金盾",
             "海诺", "天和", "锦程", "新世纪", "亿丰", "银座"]
COMPANY_B = ["", "城市", "智慧", "家园", "恒通", "祥和", "舜和", "盛达", "汇丰", "龙城"]


def _names(parts_a, parts_b, count, rng, sep=""):
    combos = [a + sep + b for b in parts_b for a in parts_a]
    if count > len(combos):
        combos += [f"{c}{i}期" for i in range(2, 2 + count // len(combos) + 1) for c in combos]
    rng.shuffle(combos)
    return combos[:count]


def _split(total: int, parts: int, rng) -> list[int]:
    """Split `total` into `parts` positive integers of uneven size."""
    weights = [rng.uniform(0.4, 1.6) for _ in range(parts)]
    s = sum(weights)
    sizes = [max(1, int(total * w / s)) for w in weights]
    sizes[-1] += total - sum(sizes)
    return sizes


def is_empty() -> bool:
    return db.session.scalar(select(func.count(District.id))) == 0


def load(size: str = "small", seed: int = 20261123, base_url: str = "http://127.0.0.1:5000",
         progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Load the demo city into an empty database; return logins and sample survey URLs."""
    if not is_empty():
        raise RuntimeError(_("数据库中已有数据，演示数据只能载入空数据库。"))
    spec = SIZES[size]
    rng = random.Random(seed)  # nosec B311  # reproducible demo data, not a secret
    report = progress or (lambda stage, done, total: None)

    districts = [District(name=n) for n in DISTRICTS[:spec.districts]]
    db.session.add_all(districts)
    street_names = _names(STREET_WORDS, ["街道"], spec.streets, rng)
    streets = [Street(district=districts[i % len(districts)], name=street_names[i]) for i in range(spec.streets)]
    db.session.add_all(streets)
    comm_names = _names(COMMUNITY_WORDS, ["社区"], spec.communities, rng)
    communities = [Community(street=streets[i % len(streets)], name=comm_names[i]) for i in range(spec.communities)]
    db.session.add_all(communities)
    company_names = _names(COMPANY_A, COMPANY_B, spec.companies, rng)
    companies = [Company(name=f"{n}物业服务有限公司") for n in company_names]
    db.session.add_all(companies)
    db.session.flush()

    # Company quality is what the ranking should find: a latent mean answer per company.
    quality = {c.id: rng.uniform(3.0, 4.5) for c in companies}
    dim_bias = {}
    comp_names = _names(COMPOUND_A, COMPOUND_B, spec.compounds, rng)
    compounds = []
    for i in range(spec.compounds):
        community = communities[i % len(communities)]
        company = companies[min(int(rng.paretovariate(1.2)) - 1, len(companies) - 1)] if i >= len(companies) \
            else companies[i]
        compounds.append(Compound(community=community, street_id=community.street.id,
                                  district_id=community.street.district_id, name=comp_names[i], company=company))
    db.session.add_all(compounds)
    db.session.flush()

    campaign = create_campaign("2026年下半年物业服务满意度测评", opens_at=now() - timedelta(days=14),
                               closes_at=now() + timedelta(days=30))
    db.session.flush()
    dims = dimension_specs(campaign)
    questions = [q for q in campaign.questions if q.scored]
    overall_q = next(q.id for q in questions if q.is_overall)
    q_dim = {q.id: q.dimension.key for q in questions}
    improve = next((q for q in campaign.questions if q.kind == "multi"), None)
    # Each category of the multiple-choice question with the 5-point questions of its dimension (none: "other").
    categories = [(o.key, [q.id for q in questions if q_dim[q.id] == o.key]) for o in improve.options] \
        if improve else []
    for c in companies:
        dim_bias[c.id] = {d.key: rng.gauss(0, 0.35) for d in campaign.dimensions}

    sizes = _split(spec.households, spec.compounds, rng)
    building_id, household_id = next_id(Building.__table__), next_id(Household.__table__)
    response_id, answer_id = next_id(Response.__table__), next_id(Answer.__table__)
    choice_id = next_id(AnswerChoice.__table__)
    buildings, households, responses, answers, choices = [], [], [], [], []
    opened = campaign.opens_at
    window = max(1, int((now() - opened).total_seconds()))
    big = (Building.__table__, Household.__table__, Response.__table__, Answer.__table__, AnswerChoice.__table__)
    more_memory()  # PostgreSQL: the indexes made after the load are sorted in memory
    with indexes_deferred(*big):  # PostgreSQL: indexes and foreign keys made once, after the load
        for idx, (compound, n_house) in enumerate(zip(compounds, sizes)):
            q_mean = quality[compound.company_id] + rng.gauss(0, 0.25)
            bias = dim_bias[compound.company_id]
            # Most compounds reach 40-90% coverage; about one in eight stays far too low to rank.
            # The newest company (last in the list) has barely started: too few answers to rank.
            low = compound.company_id == companies[-1].id or rng.random() < 0.125
            coverage = rng.uniform(0.005, 0.03) if low else rng.uniform(0.4, 0.9)
            per_building = 24
            for b in range(math.ceil(n_house / per_building)):
                buildings.append((building_id, compound.id, f"{b + 1}号楼", f"第{idx % 6 + 1}网格"))
                for k in range(min(per_building, n_house - b * per_building)):
                    unit, floor, room = k // 12 + 1, (k % 12) // 2 + 1, k % 2 + 1
                    households.append((household_id, building_id, compound.id, str(unit), f"{floor}0{room}"))
                    if rng.random() < coverage:
                        ans = {}
                        for q in questions:
                            if q.allow_na and rng.random() < 0.06:
                                ans[q.id] = None
                                continue
                            mu = q_mean + bias[q_dim[q.id]]
                            ans[q.id] = min(5, max(1, round(rng.gauss(mu, 0.85))))
                        at = opened + timedelta(seconds=rng.randrange(window))
                        comment = rng.choice(COMMENTS) if rng.random() < 0.08 else None
                        responses.append((response_id, campaign.id, household_id, compound.id, compound.company_id,
                                          at, at, "self", "published", response_index(ans, dims), ans[overall_q],
                                          comment))
                        for qid, v in ans.items():
                            answers.append((answer_id, response_id, qid, v))
                            answer_id += 1
                        if improve is not None:
                            answers.append((answer_id, response_id, improve.id, None))
                            for key in _named(categories, ans, rng):
                                choices.append((choice_id, answer_id, key))
                                choice_id += 1
                            answer_id += 1
                        response_id += 1
                    household_id += 1
                building_id += 1
            if len(households) > 50000 or idx == len(compounds) - 1:
                _flush(buildings, households, responses, answers, choices)
                report("households", idx + 1, len(compounds))
        report("indexes", 0, 1)
    reset_sequences(*big)
    report("totals", 0, 1)
    totals.rebuild(campaign.id)
    report("integrity", 0, 1)
    integrity_demo.demo_story(campaign, seed=seed)  # a company's staff on three phones: held for review

    users = _demo_users(districts[0], streets[0], companies[0])
    report("rectification", 0, 1)
    rectification_demo.walk(campaign, seed=seed)
    sample = unanswered_in_street(campaign.id, streets[0].id, 3)
    tokens = issue_codes(campaign.id, list(sample), reason="demo")
    return {
        "campaign": campaign.name,
        "logins": [(u.username, DEMO_PASSWORD, u.display_name) for u in users],
        "survey_urls": [survey_url(base_url, t) for t in tokens.values()],
        "households": spec.households,
        "responses": db.session.scalar(select(func.count(Response.id)).where(Response.campaign_id == campaign.id)),
    }


def _named(categories, ans, rng) -> list[str]:
    """0-2 categories a resident names as most needing improvement, the dimensions it scored low the likelier."""
    k = rng.choices(TICKS, TICK_WEIGHTS)[0]
    if not k:
        return []
    keys, weights = [], []
    for key, qids in categories:
        given = [ans[q] for q in qids if ans.get(q) is not None]
        keys.append(key)
        weights.append((5.5 - sum(given) / len(given)) ** 2 if given else OTHER_WEIGHT)
    first = rng.choices(range(len(keys)), weights)[0]
    named = [first]
    if k == 2 and len(keys) > 1:
        weights[first] = 0.0
        named.append(rng.choices(range(len(keys)), weights)[0])
    return [keys[i] for i in sorted(named)]


def _flush(buildings, households, responses, answers, choices):
    insert_rows(Building.__table__, ("id", "compound_id", "name", "grid"), buildings)
    insert_rows(Household.__table__, ("id", "building_id", "compound_id", "unit", "room"), households)
    insert_rows(Response.__table__, ("id", "campaign_id", "household_id", "compound_id", "company_id",
                                     "submitted_at", "updated_at", "mode", "status", "score", "overall", "comment"),
                responses)
    insert_rows(Answer.__table__, ("id", "response_id", "question_id", "value"), answers)
    insert_rows(AnswerChoice.__table__, ("id", "answer_id", "option_key"), choices)
    for lst in (buildings, households, responses, answers, choices):
        lst.clear()


def _demo_users(district, street, company) -> list[User]:
    specs = [
        ("city", "city", "市级管理员", {}),
        ("district", "district", f"{district.name}管理员", {"district_id": district.id}),
        ("street", "street", f"{street.name}工作人员", {"street_id": street.id, "district_id": district.id}),
        ("grid", "grid", f"{street.name}网格员", {"street_id": street.id, "district_id": district.id}),
        ("company", "company", f"{company.name}", {"company_id": company.id}),
    ]
    users = []
    for username, role, display, scope in specs:
        u = User(username=username, role=role, display_name=display, created_at=now(), **scope)
        u.set_password(DEMO_PASSWORD)
        if access.needs_grids(role):  # the demo grid worker works in two of the street's grids
            u.grids = [UserGrid(grid=g) for g in street_grids(street.id)[:2]]
        db.session.add(u)
        users.append(u)
    return users


