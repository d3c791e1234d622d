"""The standard questionnaire of DOMAIN.md: eight service dimensions plus overall satisfaction, and a
closing multiple-choice question naming the services that most need improving."""
from __future__ import annotations

from datetime import datetime

from ...extensions import db
from ...models import Campaign, Dimension, Question, QuestionOption

# (key, name, name_en, weight, [(key, text, text_en, allow_na)])
STANDARD = [
    ("service", "客户服务", "Customer service", 0.12, [
        ("service_attitude", "物业服务人员的服务态度和仪容仪表", "Attitude and appearance of property staff", False),
        ("service_info", "物业服务中心公示信息、通知及时清楚", "Notices and information are timely and clear", False),
    ]),
    ("security", "安全秩序", "Security and order", 0.12, [
        ("security_gate", "小区门岗值守和出入管理", "Gate keeping and access control", False),
        ("security_patrol", "小区巡逻和消防安全管理", "Patrols and fire safety", False),
    ]),
    ("cleaning", "环境卫生", "Cleaning and sanitation", 0.14, [
        ("cleaning_public", "楼道、道路等公共区域清洁", "Cleanliness of stairwells, roads and shared areas", False),
        ("cleaning_waste", "垃圾分类和清运及时", "Waste sorting and timely collection", False),
    ]),
    ("greening", "绿化养护", "Greening", 0.08, [
        ("greening_care", "绿化养护和修剪", "Care and trimming of green areas", True),
    ]),
    ("facilities", "设施设备维修", "Facility maintenance", 0.12, [
        ("facilities_lift", "电梯、供水、照明等设施设备运行", "Lifts, water supply and lighting work properly", True),
        ("facilities_common", "公共设施（道路、门禁、健身器材等）维护", "Upkeep of shared facilities", False),
    ]),
    ("repair", "报修响应", "Repair response", 0.12, [
        ("repair_speed", "报修后响应和维修速度", "Speed of response to repair requests", True),
        ("repair_quality", "维修质量", "Quality of repairs", True),
    ]),
    ("parking", "停车管理", "Parking", 0.08, [
        ("parking_order", "小区停车秩序", "Order of parking in the compound", True),
    ]),
    ("fees", "收费公开", "Fee transparency", 0.07, [
        ("fees_public", "物业费及公共收益收支公开透明", "Fees and shared income are published openly", False),
    ]),
    ("overall", "总体满意度", "Overall satisfaction", 0.15, [
        ("overall", "您对本小区物业服务的总体评价", "Your overall rating of the property service", False),
    ]),
]
OVERALL_KEY = "overall"  # the overall-satisfaction question's key, and its dimension's
# The closing multiple-choice question, last in the overall dimension: one option per service dimension
# (option key = dimension key, so a category is matched to its scores) plus "other". Not scored, not required.
IMPROVE_KEY = "improve"
IMPROVE_TEXT = ("您认为小区物业服务最需要改进的是哪些方面？（可多选）",
                "Which parts of the property service most need improving? (tick any)")
OTHER_OPTION = ("other", "其他", "Other")
IMPROVE_OPTIONS = [(key, name, name_en) for key, name, name_en, _w, _q in STANDARD if key != OVERALL_KEY] \
    + [OTHER_OPTION]


def create_campaign(name: str, opens_at: datetime, closes_at: datetime, status: str = "open",
                    scope_level: str = "city", scope_id: int | None = None,
                    min_responses: int = 10, min_coverage: float = 0.10) -> Campaign:
    """Create a campaign with the standard questionnaire; the caller commits."""
    c = Campaign(name=name, opens_at=opens_at, closes_at=closes_at, status=status, scope_level=scope_level,
                 scope_id=scope_id, min_responses=min_responses, min_coverage=min_coverage)
    for pos, (key, dname, dname_en, weight, questions) in enumerate(STANDARD):
        d = Dimension(key=key, name=dname, name_en=dname_en, weight=weight, position=pos)
        for qpos, (qkey, text, text_en, allow_na) in enumerate(questions):
            d.questions.append(Question(key=qkey, text=text, text_en=text_en, allow_na=allow_na,
                                        is_overall=(qkey == OVERALL_KEY), position=qpos))
        if key == OVERALL_KEY:
            d.questions.append(Question(
                key=IMPROVE_KEY, kind="multi", text=IMPROVE_TEXT[0], text_en=IMPROVE_TEXT[1], allow_na=False,
                is_overall=False, position=len(d.questions),
                options=[QuestionOption(key=k, label=label, label_en=label_en, position=pos)
                         for pos, (k, label, label_en) in enumerate(IMPROVE_OPTIONS)]))
        c.dimensions.append(d)
    db.session.add(c)
    return c
