"""The states an item passes through, where items come from, and the moves between states.

One table (`MOVES`) says from which states each move may be made and to which state it leads;
who may make it is decided in `access.rectification_actions`.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ...models.rectification import COMPANY_HELD, FINISHED, SOURCES, STATUSES  # noqa: F401  (re-exported)

STATUS_LABELS = {
    "open": _l("待派发"), "assigned": _l("已派发"), "in_progress": _l("整改中"), "submitted": _l("待核验"),
    "returned": _l("已退回"), "verified": _l("已整改（核验通过）"), "closed": _l("已关闭（未整改）"),
}
# What a resident reads about an item of their compound (plain words, no office jargon).
RESIDENT_LABELS = {
    "open": _l("已登记，等待交办物业"), "assigned": _l("已交办物业，等待整改"), "in_progress": _l("物业正在整改"),
    "submitted": _l("物业报告已整改，等待街道核实"), "returned": _l("街道核实未通过，物业需继续整改"),
    "verified": _l("已整改，街道已核实"), "closed": _l("未整改，已关闭"),
}
SOURCE_LABELS = {
    "low_score": _l("维度得分偏低"), "category": _l("居民集中反映"), "request": _l("居民求助跟进"),
    "inspection": _l("巡查发现"), "hotline": _l("12345 热线"),
}
ACTION_LABELS = {
    "assign": _l("交办物业"), "start": _l("开始整改"), "submit": _l("提交核验"), "verify": _l("核验通过"),
    "return": _l("退回重新整改"), "close": _l("关闭（不整改）"), "reopen": _l("重新打开"), "note": _l("添加备注"),
}
# A resident's answer to "has this been fixed?" (models.rectification.CONFIRMATION_ANSWERS).
CONFIRMATION_LABELS = {"fixed": _l("已解决"), "not_fixed": _l("未解决"), "unsure": _l("不清楚")}
OTHER = "other"  # the category key of "其他"
OTHER_LABEL = _l("其他")
OTHER_NAME = "其他"  # stored on items (like dimension names, in the document's language)


@dataclass(frozen=True)
class Move:
    """A move: from which states, to which state (None: the state stays), and whether it needs words."""

    action: str
    sources: tuple[str, ...]
    to: str | None
    needs_note: bool = False


MOVES = {m.action: m for m in (
    Move("assign", ("open",), "assigned"),
    Move("start", ("assigned", "returned"), "in_progress"),
    Move("submit", COMPANY_HELD, "submitted", needs_note=True),
    Move("verify", ("submitted",), "verified"),
    Move("return", ("submitted",), "returned", needs_note=True),
    Move("close", ("open", *COMPANY_HELD, "submitted"), "closed", needs_note=True),
    Move("reopen", ("closed",), "open", needs_note=True),
    Move("note", STATUSES, None, needs_note=True),
)}
# What the words of a move mean, for the form's label.
NOTE_LABELS = {
    "submit": _l("整改情况（做了什么）"), "return": _l("退回原因"), "close": _l("关闭原因"),
    "reopen": _l("重新打开的原因"), "note": _l("备注"), "assign": _l("交办说明（选填）"),
    "start": _l("说明（选填）"), "verify": _l("核验意见（选填）"),
}
