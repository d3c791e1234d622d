"""The scoring method: answers → response index → unit statistics with intervals.

See docs/scoring.md. Everything here is plain arithmetic so that the web, the CLI,
the exports and the tests share one definition.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from flask_babel import lazy_gettext as _l

Z95 = 1.959963984540054  # two-sided 95% normal quantile
LABELS = {5: _l("非常满意"), 4: _l("满意"), 3: _l("一般"), 2: _l("不满意"), 1: _l("非常不满意")}  # shown in the reader's language
SATISFIED = (4, 5)


def to_100(answer: float) -> float:
    """Map a 1-5 answer (or a mean of answers) onto 0-100."""
    return (answer - 1.0) / 4.0 * 100.0


@dataclass(frozen=True)
class DimensionSpec:
    id: int
    weight: float
    question_ids: tuple[int, ...]


def dimension_scores(answers: Mapping[int, int | None], dims: Sequence[DimensionSpec]) -> dict[int, float]:
    """Score each dimension with at least one answered question: mean of its answers on 0-100."""
    out: dict[int, float] = {}
    for d in dims:
        vals = [answers[q] for q in d.question_ids if answers.get(q) is not None]
        if vals:
            out[d.id] = to_100(sum(vals) / len(vals))
    return out


def response_index(answers: Mapping[int, int | None], dims: Sequence[DimensionSpec]) -> float | None:
    """Weight-normalised mean over the dimensions the response answered; None if it answered none."""
    scores = dimension_scores(answers, dims)
    total_w = sum(d.weight for d in dims if d.id in scores)
    if not scores or total_w <= 0:
        return None
    return sum(d.weight * scores[d.id] for d in dims if d.id in scores) / total_w


@dataclass
class UnitStats:
    """Aggregates for one unit (compound, company, street...) from its responses."""

    key: int | None
    label: str = ""
    n: int = 0
    households: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    satisfied: int = 0  # overall question answered 4 or 5
    overall_n: int = 0  # overall question answered at all
    extra: dict = field(default_factory=dict)
    min_shown: int = 0  # below this many responses every figure reads None (set by privacy.guard)

    @property
    def withheld(self) -> bool:
        """Whether the group is too small for its figures to be shown (see stats.privacy)."""
        return self.n < self.min_shown

    @classmethod
    def from_scores(cls, key, scores: Iterable[float], households: int, overall: Iterable[int | None] = (),
                    label: str = "") -> "UnitStats":
        scores = list(scores)
        overall = [o for o in overall if o is not None]
        return cls(key=key, label=label, n=len(scores), households=households, total=sum(scores),
                   total_sq=sum(s * s for s in scores), satisfied=sum(1 for o in overall if o in SATISFIED),
                   overall_n=len(overall))

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n and not self.withheld else None

    @property
    def variance(self) -> float | None:
        if self.n < 2 or self.withheld:
            return None
        return max(0.0, (self.total_sq - self.n * self.mean ** 2) / (self.n - 1))

    @property
    def coverage(self) -> float | None:
        return self.n / self.households if self.households else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.overall_n if self.overall_n and not self.withheld else None

    @property
    def fpc(self) -> float:
        """Finite-population correction sqrt((N-n)/(N-1)); 0 when every household answered."""
        N, n = self.households, self.n
        if N <= 1 or n >= N:
            return 0.0
        return math.sqrt((N - n) / (N - 1))

    @property
    def std_error(self) -> float | None:
        if self.variance is None:
            return None
        return math.sqrt(self.variance / self.n) * self.fpc

    @property
    def interval(self) -> tuple[float, float] | None:
        """95% interval of the mean, clipped to 0-100; None below two responses."""
        se = self.std_error
        if se is None:
            return None
        m = self.mean
        return max(0.0, m - Z95 * se), min(100.0, m + Z95 * se)
