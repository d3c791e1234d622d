"""What may be shown of residents' answers, to anyone: no figure of a small group, free text masked.

The one rule for small groups: a group of fewer than MIN_GROUP responses (a compound, a building,
a company in an area, a dimension of one of them...) shows no figure, chart, list, comment or
download cell, to any staff role and any company, because a handful of answers identifies the
households who gave them. Counts of households and of responses (coverage) are not answers and
stay. `guard` marks the statistics the aggregates produce so that their figures read None below
the threshold (fail closed: a page or workbook that forgets to ask still shows nothing); pages and
workbooks ask `shown` to say why, in `WITHHELD`.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

# Full-width digits, letters and @ + - as ASCII, so "１３９…" is found too; punctuation is left alone.
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_HALF.update({cp: cp - 0xFEE0 for cp in list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B))})
_HALF.update({ord("＠"): ord("@"), ord("＋"): ord("+"), ord("－"): ord("-")})
MIN_GROUP = 5  # no figure and no comment for a group of fewer responses
WITHHELD = _l("样本不足 %(n)s 份，不显示", n=MIN_GROUP)  # what a page or workbook says in place of a figure


def shown(stats) -> bool:
    """Whether a group's figures and comments may be shown (to anyone)."""
    return stats is not None and stats.n >= MIN_GROUP


def guard(stats):
    """Mark statistics of a group of responses: below MIN_GROUP their figures read None."""
    stats.min_shown = MIN_GROUP
    return stats


_RULES = [
    (re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])|(?<!\d)\d{15}(?!\d)"), "[身份证号已隐藏]"),
    (re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d){8}(?!\d)"), "[手机号已隐藏]"),
    (re.compile(r"(?<!\d)0\d{2,3}[-\s]?\d{7,8}(?!\d)"), "[电话已隐藏]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[邮箱已隐藏]"),
    (re.compile(r"(?:微信|微信号|vx|VX|wx|WX|QQ|qq)\s*[:：号]?\s*[A-Za-z0-9_-]{5,}"), "[联系方式已隐藏]"),
    (re.compile(r"\d+\s*(?:号楼|栋|幢|号)\s*(?:\d+\s*单元)?\s*\d+\s*(?:室|号)?|\d+\s*单元\s*\d+\s*(?:室|号)?|\d{3,4}\s*室"),
     "[门牌已隐藏]"),
]


def mask(text: str) -> str:
    """Replace phone and ID numbers, e-mail, messenger ids and door numbers with a marker."""
    out = text.translate(_HALF)
    for pattern, marker in _RULES:
        out = pattern.sub(marker, out)
    return out
