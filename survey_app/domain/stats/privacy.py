"""What a property company may read of residents' free text: contact details and addresses masked."""
from __future__ import annotations

import re

# Full-width digits, letters and @ + - as ASCII, so "１３９…" is found too; punctuation is left alone.
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_HALF.update({cp: cp - 0xFEE0 for cp in list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B))})
_HALF.update({ord("＠"): ord("@"), ord("＋"): ord("+"), ord("－"): ord("-")})
MIN_GROUP = 5  # no breakdown and no comment for a group of fewer responses


def shown(stats) -> bool:
    """Whether a group's figures and comments may be shown to a property company."""
    return stats is not None and stats.n >= MIN_GROUP

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
