"""The method's terms in plain words (术语说明): one definition per term, shown where the term
appears on the overview, ranking, company and benchmark pages (templates/_glossary.html).

The definitions say in everyday words what docs/scoring.md defines exactly."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Term:
    """A term's name as pages print it and its meaning in plain words."""
    name: object
    plain: object


GLOSSARY: dict[str, Term] = {
    "index": Term(_l("满意度指数"), _l(
        "把每户对各题的评价换算成 0–100 分（非常满意 100，满意 75，一般 50，不满意 25，非常不满意 0）再求平均；"
        "分数越高越满意。")),
    "satisfaction_rate": Term(_l("总体满意率"), _l(
        "在“总体满意度”一题中选择“满意”或“非常满意”的住户占作答住户的比例。")),
    "sample": Term(_l("有效样本"), _l(
        "计入结果的答卷份数：每户最多一份，不含待复核和已驳回的答卷。")),
    "coverage": Term(_l("参评率"), _l(
        "有效答卷份数除以总户数：有多大比例的住户参加了测评。参评率太低的结果代表性不足。")),
    "interval": Term(_l("95%区间"), _l(
        "只有部分住户作答，指数会有误差；真实的指数有 95% 的把握落在这个范围内。作答越多，区间越窄。")),
    "shrunk": Term(_l("排序估计值"), _l(
        "排名所用的数值（经验贝叶斯收缩）：答卷较少的单位，其指数向辖区平均值拉近一些，"
        "以免少数答卷偶然偏高或偏低就决定名次。")),
    "band": Term(_l("等级组"), _l(
        "区间与本组第一名的区间重叠的单位归入同一组：同组单位之间的差别可能只是误差，不能视为确定的高低。")),
    "eligible": Term(_l("排名条件"), _l(
        "有效答卷达到最低份数、参评率达到最低比例的单位才参加排名；达不到的单独列出原因，不排名次。")),
    "change": Term(_l("较上轮"), _l(
        "与上一轮测评相比指数的变化；只有变化超出误差范围才标 ↑ 或 ↓，否则标“误差内”。")),
}


def explain(key: str) -> Term:
    """The term under `key`. :raise KeyError: no such term (a template's typo should fail its test)."""
    return GLOSSARY[key]
