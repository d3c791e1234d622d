"""The detectors: each reads a campaign's rows and flags the responses it finds suspicious.

Every detector groups with dicts and sorting (a city's 600,000 rows in seconds); thresholds are
`Thresholds`, read from the INTEGRITY_* settings; docs/integrity.md, "Detectors", says what each
looks for. Assisted answers are left out of the device, network, burst and sequence checks (a
grid worker's phone answers many households by design) and judged by the worker check instead.
"""
from __future__ import annotations

import difflib
import math
import re
import statistics
import zlib
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter

from ..stats.privacy import _HALF
from .combine import Flag
from .rows import Row

DAY = 86400.0
_NOT_WORD = re.compile(r"[\W_]+")
_SHINGLE = 2  # characters per piece when looking for comments alike
_BANDS = 5  # pairs of the smallest piece hashes a comment is filed under


@dataclass(frozen=True)
class Thresholds:
    """The detectors' thresholds (each is the INTEGRITY_<NAME> setting; docs/integrity.md)."""

    device_households: int = 3  # one device for this many households: strong (for 2: weak)
    network_households: int = 10  # households from one network prefix within network_minutes
    network_minutes: float = 60.0
    burst_min: int = 8  # at least this many answers of a compound within burst_minutes...
    burst_minutes: float = 30.0
    burst_factor: float = 10.0  # ...and this many times the compound's usual rate
    speed_share: float = 0.2  # duration under this share of the questionnaire's median
    speed_min_responses: int = 20  # durations needed before the median is trusted
    copied_chars: int = 20  # comments this long (letters and digits) or longer are compared
    copied_similarity: float = 0.8  # how alike two comments are (2 x characters in common / both lengths)
    copied_chance: float = 0.001  # how likely by chance so many in one company or compound, at most
    worker_min_assisted: int = 8  # assisted answers of a worker before they are compared
    worker_min_self: int = 10  # self-answered responses in his compounds to compare with
    worker_score_gap: float = 10.0  # points (0-100) between assisted and self-answered means...
    worker_uniform_gap: float = 0.4  # ...and a share of all-alike answers this much higher,
    worker_spread_share: float = 0.5  # or a spread under this share of the self-answered spread
    change_score_gap: float = 30.0  # points a change from a new device moves the index
    sequence_min: int = 5  # sessions one after another, same network and user agent
    sequence_gap_minutes: float = 3.0  # at most this long between one submission and the next opening
    sequence_chance: float = 0.001  # how likely by chance, given the other sessions then, at most

    @classmethod
    def from_config(cls, config: Mapping) -> "Thresholds":
        """The thresholds set in a configuration (INTEGRITY_* keys); defaults for the rest."""
        values = {}
        for f in fields(cls):
            key = "INTEGRITY_" + f.name.upper()
            if config.get(key) is not None:
                values[f.name] = type(f.default)(config[key])
        return cls(**values)


def _hex(value: bytes) -> str:
    return value.hex()[:8]


def _minute(moment) -> str:
    return moment.isoformat(timespec="minutes")


def _watched(rows: Sequence[Row]) -> list[Row]:
    """Rows the device, network, burst and sequence checks look at: self-answered ones."""
    return [r for r in rows if r.mode != "assisted"]


def _crowded(rows: list[Row], key, minimum: int) -> dict:
    """Rows grouped by key(row), only the groups of `minimum` rows or more (None keys left out)."""
    counts = Counter(map(key, rows))
    groups: dict = defaultdict(list)
    for r in rows:
        k = key(r)
        if k is not None and counts[k] >= minimum:
            groups[k].append(r)
    return groups


def _runs(times: list[float], window: float, needed: int) -> list[tuple[int, int]]:
    """Index ranges of sorted `times` covered by windows of `window` seconds holding `needed` or more."""
    runs: list[tuple[int, int]] = []
    i, start, end = 0, -1, -1
    for j, t in enumerate(times):
        while t - times[i] > window:
            i += 1
        if j - i + 1 >= needed:
            if end >= 0 and i <= end:  # windows sharing an answer make one run
                end = j
            else:
                if end >= 0:
                    runs.append((start, end))
                start, end = i, j
    if end >= 0:
        runs.append((start, end))
    return runs


def device_flags(rows: Sequence[Row], th: Thresholds) -> dict[int, Flag]:
    """One device (cookie) answering or changing answers for several households."""
    first: dict[bytes, int] = {}  # device -> the first household it answered for
    shared: dict[bytes, set[int]] = {}  # devices seen with more than one household
    watched = _watched(rows)
    for r in watched:
        for device in (r.device, *(c.device for c in r.changes)) if r.changes else (r.device,):
            if device is None:
                continue
            h = first.setdefault(device, r.household_id)
            if h != r.household_id:
                shared.setdefault(device, {h}).add(r.household_id)
    found = {}
    for r in watched:
        best, n = None, 1
        for device in (r.device, *(c.device for c in r.changes)) if r.changes else (r.device,):
            if device in shared and len(shared[device]) > n:
                best, n = device, len(shared[device])
        if best is not None:
            found[r.response_id] = Flag("device", {"households": n}, f"device:{_hex(best)}",
                                        n >= th.device_households)
    return found


def network_flags(rows: Sequence[Row], th: Thresholds) -> dict[int, Flag]:
    """Many households from one network prefix in a short time (weak: a carrier address is shared)."""
    found = {}
    for network, group in _crowded(_watched(rows), attrgetter("network"), th.network_households).items():
        group.sort(key=lambda r: r.submitted_at)
        times = [r.submitted_at.timestamp() for r in group]
        for lo, hi in _runs(times, th.network_minutes * 60, th.network_households):
            minutes = max(1, round((times[hi] - times[lo]) / 60))
            flag = Flag("network", {"households": hi - lo + 1, "minutes": minutes},
                        f"network:{_hex(network)}:{_minute(group[lo].submitted_at)}")
            for r in group[lo:hi + 1]:
                found[r.response_id] = flag
    return found


def burst_flags(rows: Sequence[Row], th: Thresholds) -> dict[int, Flag]:
    """A compound answering far above its usual rate (its answers spread over the campaign so far)."""
    groups = _crowded(_watched(rows), attrgetter("compound_id"), th.burst_min)
    if not groups:
        return {}
    span = max((max(r.submitted_at for r in rows) - min(r.submitted_at for r in rows)).total_seconds(), DAY)
    window = th.burst_minutes * 60
    found = {}
    for compound_id, group in groups.items():
        usual = len(group) * window / span  # answers the compound gives in a window, on average
        needed = max(th.burst_min, int(th.burst_factor * usual) + 1)
        if len(group) < needed:
            continue
        group.sort(key=lambda r: r.submitted_at)
        times = [r.submitted_at.timestamp() for r in group]
        for lo, hi in _runs(times, window, needed):
            count, lasted = hi - lo + 1, max(times[hi] - times[lo], window)
            flag = Flag("burst", {"count": count, "minutes": max(1, round(lasted / 60)),
                                  "ratio": round(count / (len(group) * lasted / span), 1)},
                        f"burst:{compound_id}:{_minute(group[lo].submitted_at)}")
            for r in group[lo:hi + 1]:
                found[r.response_id] = flag
    return found


def median_duration_of(rows: Sequence[Row], th: Thresholds) -> float | None:
    """The questionnaire's median duration, None with fewer than speed_min_responses durations."""
    durations = [r.duration for r in rows if r.duration is not None]
    return statistics.median(durations) if len(durations) >= max(1, th.speed_min_responses) else None


def speed_flags(rows: Sequence[Row], th: Thresholds, median: float | None) -> dict[int, Flag]:
    """Answers given in under speed_share of the questionnaire's median duration."""
    if not median or median <= 0:
        return {}
    limit = th.speed_share * median
    return {r.response_id: Flag("speed", {"seconds": round(max(r.duration, 0)), "median": round(median),
                                          "share": th.speed_share}, f"speed:{r.compound_id}", True)
            for r in rows if r.duration is not None and r.duration < limit}


def uniform_flags(rows: Sequence[Row], th: Thresholds) -> dict[int, Flag]:
    """Every 5-point answer the same (weak: many content residents answer all 5)."""
    return {r.response_id: Flag("uniform", {}, f"uniform:{r.compound_id}") for r in rows if r.uniform}


def comment_key(text: str) -> str:
    """A comment as compared: full-width letters and digits as ASCII, lower case, only letters and digits."""
    return _NOT_WORD.sub("", text.translate(_HALF).casefold())


def _pieces(key: str) -> set[int]:
    return {zlib.crc32(key[i:i + _SHINGLE].encode()) for i in range(len(key) - _SHINGLE + 1)}


def _units(r: Row) -> tuple[tuple, tuple]:
    """The company and the compound a response counts in when comments are compared."""
    return ("company", r.company_id if r.company_id is not None else -r.compound_id), ("compound", r.compound_id)


def copied_flags(rows: Sequence[Row], th: Thresholds) -> dict[int, Flag]:
    """Near-identical comments of copied_chars or more from different households, gathered in one
    company or one compound.

    Alike: identical after `comment_key`, or alike by copied_similarity or more (difflib's ratio:
    twice the characters in common over both lengths); candidates are comments filed under the
    same pair of smallest 2-character piece hashes, so no comment is compared with every other.
    Gathered: a company (or compound) has 2 or more households with the text, a count its share of
    the campaign's responses makes no likelier than copied_chance (Poisson); a phrase residents
    write all over the campaign is common speech, not a copy.
    """
    by_key: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if r.comment:
            key = comment_key(r.comment)
            if len(key) >= th.copied_chars:
                by_key[key].append(r)
    keys = list(by_key)
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pieces = [_pieces(k) for k in keys]
    buckets: dict[tuple, int] = {}
    for i, p in enumerate(pieces):
        smallest = sorted(p)[:2 * _BANDS]
        for band in range(_BANDS):
            pair = tuple(smallest[2 * band:2 * band + 2])
            if len(pair) < 2:
                break
            first = buckets.setdefault((band, pair), i)
            if first != i and root(first) != root(i) and len(p & pieces[first]) >= 0.5 * len(p | pieces[first]):
                alike = difflib.SequenceMatcher(None, keys[first], keys[i], autojunk=False)
                if alike.ratio() >= th.copied_similarity:
                    parent[root(i)] = root(first)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(keys)):
        clusters[root(i)].append(i)
    if not clusters:
        return {}
    answered: Counter = Counter()  # responses per company and per compound
    for r in rows:
        answered.update(_units(r))
    total = len(rows)
    found = {}
    for top, members in clusters.items():
        group = [r for i in members for r in by_key[keys[i]]]
        where: dict[tuple, set[int]] = defaultdict(set)
        for r in group:
            for unit in _units(r):
                where[unit].add(r.household_id)
        households = len({r.household_id for r in group})
        for unit, found_in in where.items():
            n = len(found_in)
            expected = households * answered[unit] / total  # were the text spread like the responses
            if n >= 2 and _poisson_tail(n, expected) <= th.copied_chance:
                flag = Flag("copied", {"others": n - 1},
                            f"copied:{zlib.crc32(repr((keys[top], unit)).encode()):08x}", True)
                for r in group:
                    if r.household_id in found_in and not _more(found.get(r.response_id), n):
                        found[r.response_id] = flag
    return found


def _poisson_tail(n: int, mean: float) -> float:
    """P(X >= n) for X ~ Poisson(mean): how likely n or more by chance."""
    if mean <= 0:
        return 0.0
    if n <= mean:
        return 1.0
    log_term = -mean + n * math.log(mean) - math.lgamma(n + 1)
    tail, k = 0.0, n
    while True:
        term = math.exp(log_term)
        tail += term
        k += 1
        log_term += math.log(mean / k)
        if term < 1e-12 * tail or k > n + 1000:
            return min(tail, 1.0)


def _more(flag: Flag | None, n: int) -> bool:
    return flag is not None and flag.params["others"] >= n - 1


def worker_flags(rows: Sequence[Row], th: Thresholds) -> dict[int, Flag]:
    """A grid worker's assisted answers unlike the self-answered ones in the same compounds.

    Unlike: means apart by worker_score_gap points or more, and the assisted answers all alike
    more often (by worker_uniform_gap) or far less spread (under worker_spread_share of the
    self-answered standard deviation).
    """
    own: dict[int, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0])  # n, sum, sum of squares, uniform
    assisted: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        if r.score is None:
            continue
        if r.mode == "assisted":
            if r.worker_id is not None:
                assisted[r.worker_id].append(r)
        else:
            s = own[r.compound_id]
            s[0] += 1
            s[1] += r.score
            s[2] += r.score * r.score
            s[3] += r.uniform
    found = {}
    for worker_id, group in assisted.items():
        n_a = len(group)
        if n_a < th.worker_min_assisted:
            continue
        n_s = sum_s = sq_s = uni_s = 0
        for compound_id in {r.compound_id for r in group}:
            if compound_id in own:
                n, total, squares, uniform = own[compound_id]
                n_s, sum_s, sq_s, uni_s = n_s + n, sum_s + total, sq_s + squares, uni_s + uniform
        if n_s < th.worker_min_self:
            continue
        scores = [r.score for r in group]
        mean_a, mean_s = sum(scores) / n_a, sum_s / n_s
        sd_a = statistics.pstdev(scores)
        sd_s = max(sq_s / n_s - mean_s * mean_s, 0.0) ** 0.5
        uni_a = sum(r.uniform for r in group) / n_a
        uni_s = uni_s / n_s
        unlike = abs(mean_a - mean_s) >= th.worker_score_gap and (
            uni_a - uni_s >= th.worker_uniform_gap or sd_a <= th.worker_spread_share * sd_s)
        if unlike:
            flag = Flag("worker", {"assisted": n_a, "assisted_score": round(mean_a, 1),
                                   "assisted_uniform": round(uni_a, 2), "self": n_s,
                                   "self_score": round(mean_s, 1), "self_uniform": round(uni_s, 2)},
                        f"worker:{worker_id}", True)
            for r in group:
                found[r.response_id] = flag
    return found


def changed_flags(rows: Sequence[Row], th: Thresholds) -> dict[int, Flag]:
    """A change from a new device that moved the response's index by change_score_gap points or more."""
    found = {}
    for r in rows:
        moves = [c for c in r.changes if c.new_device and c.score_before is not None and c.score_after is not None
                 and abs(c.score_after - c.score_before) >= th.change_score_gap]
        if moves:
            c = max(moves, key=lambda c: abs(c.score_after - c.score_before))
            where = _hex(c.device) if c.device is not None else f"h{r.household_id}"
            found[r.response_id] = Flag("changed", {"before": round(c.score_before, 1), "after": round(c.score_after, 1)},
                                        f"changed:{where}", True)
    return found


def _chains(opens: list[float], ends: list[float], gap: float) -> list[list[int]]:
    """Chains of sessions (sorted by opening), each opened within `gap` after the previous submission.

    Every session's longest chain, found by the longest chain ending there and the longest
    starting there (a sort and a window per session), longest first; a session is in one chain.
    """
    n = len(opens)
    by_end = sorted(range(n), key=ends.__getitem__)
    sorted_ends = [ends[i] for i in by_end]
    before, pred = [1] * n, [-1] * n
    for i in range(n):
        for k in range(bisect_left(sorted_ends, opens[i] - gap), bisect_right(sorted_ends, opens[i])):
            p = by_end[k]
            if p < i and before[p] >= before[i]:
                before[i], pred[i] = before[p] + 1, p
    after, succ = [1] * n, [-1] * n
    for i in range(n - 1, -1, -1):
        for t in range(bisect_left(opens, ends[i]), bisect_right(opens, ends[i] + gap)):
            if t > i and after[t] >= after[i]:
                after[i], succ[i] = after[t] + 1, t
    taken = [False] * n
    chains = []
    for i in sorted(range(n), key=lambda i: before[i] + after[i], reverse=True):
        if before[i] + after[i] <= 2:
            break
        if taken[i]:
            continue
        chain, j = [], i
        while j >= 0 and not taken[j]:
            chain.append(j)
            j = pred[j]
        chain.reverse()
        j = succ[i]
        while j >= 0 and not taken[j]:
            chain.append(j)
            j = succ[j]
        for j in chain:
            taken[j] = True
        chains.append(chain)
    return chains


def sequence_flags(rows: Sequence[Row], th: Thresholds) -> dict[int, Flag]:
    """Sessions from one network and user agent, one after another: one person answering for many.

    Per network and agent, a chain is sessions (opening to first submission) each opened within
    sequence_gap_minutes after the previous one was submitted. It is flagged when it has
    sequence_min households or more and is unlikely by chance: with the group's other sessions
    during the chain opening at rate r, a link happens by chance with p = 1 - exp(-r x gap), and a
    chain of n sessions with p ** (n - 1); flagged when that is at most sequence_chance. A whole compound
    answering side by side behind one carrier address overlaps and makes no unlikely chain; one
    person with cleared cookies does, even among neighbours on the same address and browser.
    """
    watched = [r for r in _watched(rows) if r.agent is not None and r.opened_at is not None]
    gap = th.sequence_gap_minutes * 60
    found = {}
    for same_network in _crowded(watched, attrgetter("network"), th.sequence_min).values():
        for sessions in _crowded(same_network, attrgetter("agent"), th.sequence_min).values():
            found.update(_sequences(sessions, th, gap))
    return found


def _sequences(sessions: list[Row], th: Thresholds, gap: float) -> dict[int, Flag]:
    """The unlikely chains among one network's and agent's sessions (see sequence_flags)."""
    group = []
    for r in sessions:
        start, end = r.opened_at.timestamp(), r.submitted_at.timestamp()
        group.append((start, end if end > start else start, r))
    group.sort(key=lambda s: (s[0], s[1]))
    found = {}
    opens = [s[0] for s in group]
    ends = [s[1] for s in group]
    for chain in _chains(opens, ends, gap):
        members = [group[i][2] for i in chain]
        if len({r.household_id for r in members}) < th.sequence_min:
            continue
        first, last = opens[chain[0]], ends[chain[-1]]
        others = bisect_right(opens, last) - bisect_left(opens, first) - len(chain)
        per_link = 1 - math.exp(-others / max(last - first, 1.0) * gap)  # another opening within the gap
        if per_link ** (len(chain) - 1) > th.sequence_chance:
            continue
        flag = Flag("sequence", {"count": len(chain), "minutes": round(gap / 60, 1)},
                    f"sequence:{_hex(members[0].network)}:{_minute(members[0].opened_at)}", True)
        for r in members:
            found[r.response_id] = flag
    return found


def detect(rows: Sequence[Row], th: Thresholds, median_duration: float | None = None) -> dict[int, list[Flag]]:
    """Every detector over a campaign's rows: response id -> its flags (responses with none left out).

    The questionnaire's median duration is computed from the rows unless given.
    """
    if median_duration is None:
        median_duration = median_duration_of(rows, th)
    found: dict[int, list[Flag]] = {}
    for flags in (device_flags(rows, th), sequence_flags(rows, th), speed_flags(rows, th, median_duration),
                  copied_flags(rows, th), worker_flags(rows, th), changed_flags(rows, th),
                  network_flags(rows, th), burst_flags(rows, th), uniform_flags(rows, th)):
        for response_id, flag in flags.items():
            found.setdefault(response_id, []).append(flag)
    return found
