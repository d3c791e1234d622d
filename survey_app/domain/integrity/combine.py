"""A detector's flag, its reason in plain words, and the rule that turns a response's flags into a
decision: published, or held for review (docs/integrity.md, "Detectors")."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

STRONG = ("device", "speed", "sequence", "copied", "worker", "changed")  # kinds whose flag may be strong
CIRCUMSTANTIAL = ("network", "burst", "uniform")  # weak by nature: alone or together they never hold
HELD, PUBLISHED, REJECTED = "held", "published", "rejected"


@dataclass(frozen=True)
class Flag:
    """One detector's finding about one response.

    `params` holds the figures of the reason (numbers and short strings only, so the flag is
    JSON as it stands); `cluster` groups the responses one finding is about, for review
    ("device:1a2b3c4d", "burst:12:2026-05-01T19:30", "worker:7"...); a `strong` flag holds the
    response on its own.
    """

    kind: str
    params: dict = field(default_factory=dict)
    cluster: str = ""
    strong: bool = False

    def to_dict(self) -> dict:
        """The flag as JSON-ready data."""
        return {"kind": self.kind, "params": dict(self.params), "cluster": self.cluster, "strong": self.strong}

    @classmethod
    def from_dict(cls, data: dict) -> "Flag":
        """The flag `to_dict` gave."""
        return cls(data["kind"], dict(data.get("params") or {}), data.get("cluster", ""), bool(data.get("strong")))

    def reason(self) -> str:
        """What the flag says, in plain words of the current language."""
        return reason(self)


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return _("%(n)s 分钟", n=_number(seconds / 60))
    return _("%(n)s 秒", n=_number(seconds))


def _number(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def reason(flag: Flag) -> str:
    """The reason a flag gives a reviewer, e.g. "同一设备为 4 户作答"."""
    p = flag.params
    kind = flag.kind
    if kind == "device":
        return _("同一设备为 %(households)s 户作答", households=p["households"])
    if kind == "network":
        return _("%(minutes)s 分钟内有 %(households)s 户从同一网络作答",
                 minutes=p["minutes"], households=p["households"])
    if kind == "burst":
        return _("%(minutes)s 分钟内本小区有 %(count)s 户作答，约为平常的 %(ratio)s 倍",
                 minutes=p["minutes"], count=p["count"], ratio=_number(p["ratio"]))
    if kind == "speed":
        return _("作答用时 %(duration)s，不到本问卷中位用时（%(median)s）的 %(share)s%%",
                 duration=_duration(p["seconds"]), median=_duration(p["median"]), share=_number(p["share"] * 100))
    if kind == "uniform":
        return _("所有评分题选了同一个选项")
    if kind == "copied":
        return _("意见与另外 %(others)s 户的几乎相同", others=p["others"])
    if kind == "worker":
        return _("网格员代填 %(assisted)s 份，平均 %(assisted_score)s 分，%(assisted_uniform)s%% 全选同一项；"
                 "同小区居民自答 %(own)s 份，平均 %(own_score)s 分，%(own_uniform)s%% 全选同一项",
                 assisted=p["assisted"], assisted_score=_number(p["assisted_score"]),
                 assisted_uniform=_number(p["assisted_uniform"] * 100), own=p["self"],
                 own_score=_number(p["self_score"]), own_uniform=_number(p["self_uniform"] * 100))
    if kind == "changed":
        return _("答卷由另一台设备修改，指数从 %(before)s 变为 %(after)s",
                 before=_number(p["before"]), after=_number(p["after"]))
    if kind == "sequence":
        return _("同一网络、同一浏览器的 %(count)s 份答卷一份接一份作答，每份都在上一份提交后 %(minutes)s 分钟内打开",
                 count=p["count"], minutes=_number(p["minutes"]))
    return _("其他可疑情况")


def decide(flags: list[Flag], decision: str | None) -> str:
    """The decision for a response with these flags: "published", "held" or "rejected".

    An officer's decision wins: "accepted" publishes, "rejected" rejects. Otherwise the response
    is held when
      - any flag is strong (device for 3+ households, speed, sequence, copied, worker, changed), or
      - a weak device flag (one device for 2 households) comes with any other flag.
    network, burst and uniform never hold, alone or together (a compound answering from one
    carrier address on a visit evening raises all three).
    """
    if decision == "accepted":
        return PUBLISHED
    if decision == "rejected":
        return REJECTED
    if any(f.strong for f in flags):
        return HELD
    if any(f.kind == "device" for f in flags) and len({f.kind for f in flags}) >= 2:
        return HELD
    return PUBLISHED
