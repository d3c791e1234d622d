"""The detectors: each reads a campaign's rows and flags the responses it finds suspicious.

Every detector groups with dicts and sorting (a city's 600,000 rows in seconds); thresholds are
`Thresholds`, read from the INTEGRITY_* settings; docs/integrity.md, "Detectors", says what each
looks for. Assisted answers are left out of the device, network, burst and sequence checks (a
grid worker's phone answers many households by design) and judged by the worker check instead.
"""
from __future__ import annotations

import difflib
import re
import statistics
import zlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

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
    copied_factor: float = 3.0  # times a company's (or compound's) share of the campaign's comments
    worker_min_assisted: int = 8  # assisted answers of a worker before they are compared
    worker_min_self: int = 10  # self-answered responses in his compounds to compare with
    worker_score_gap: float = 15.0  # points (0-100) between assisted and self-answered means...
    worker_uniform_gap: float = 0.4  # ...and a share of all-alike answers this much higher,
    worker_spread_share: float = 0.5  # or a spread under this share of the self-answered spread
    change_score_gap: float = 30.0  # points a change from a new device moves the index
    sequence_min: int = 5  # sessions one after another, same network and user agent
    sequence_gap_minutes: float = 3.0  # at most this long between one submission and the next opening

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


def _runs(times: list[float], window: float, needed: int) -> list[tuple[int, int]]:
    """Index ranges of sorted `times` covered by windows of `window` seconds holding `needed` or more."""
    runs: list[tuple[int, int]] = []
    i, start, end = 0, -1, -1
    for j, t in enumerate(times):
        while t - times[i] > window:
            i += 1
        if j - i + 1 >= needed:
            if end >= 0 and i <= end + 1:
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
    households: dict[bytes, set[int]] = defaultdict(set)
    watched = _watched(rows)
    for r in watched:
        for device in (r.device, *(c.device for c in r.changes)):
            if device is not None:
                households[device].add(r.household_id)
    found = {}
    for r in watched:
        best, n = None, 1
        for device in (r.device, *(c.device for c in r.changes)):
            if device is not None and len(households[device]) > n:
                best, n = device, len(households[device])
        if best is not None:
            found[r.response_id] = Flag("device", {"households": n}, f"device:{_hex(best)}",
                                        n >= th.device_households)
    return found


def network_flags(rows: Sequence[Row], th: Thresholds) -> dict[int, Flag]:
    """Many households from one network prefix in a short time (weak: a carrier address is shared)."""
    groups: dict[bytes, list[Row]] = defaultdict(list)
    for r in _watched(rows):
        if r.network is not None:
            groups[r.network].append(r)
    found = {}
    for network, group in groups.items():
        if len(group) < th.network_households:
            continue
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
    groups: dict[int, list[Row]] = defaultdict(list)
    for r in _watched(rows):
        groups[r.compound_id].append(r)
    if not groups:
        return {}
    all_times = [r.submitted_at.timestamp() for r in rows]
    span = max(max(all_times) - min(all_times), DAY)
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
    Gathered: a company (or compound) has 2 or more households with the text and copied_factor
    times its share of the campaign's compared comments; a phrase that residents all over the
    campaign write ("物业费收支从来不公示，希望公开") is common speech, not a copy.
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
    compared: Counter = Counter()  # households with a compared comment, per company and compound
    seen = set()
    for group in by_key.values():
        for r in group:
            if r.household_id not in seen:
                seen.add(r.household_id)
                compared.update(_units(r))
    total = len(seen)
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
            if n >= 2 and n >= th.copied_factor * households * compared[unit] / total:
                flag = Flag("copied", {"others": n - 1},
                            f"copied:{zlib.crc32(repr((keys[top], unit)).encode()):08x}", True)
                for r in group:
                    if r.household_id in found_in and not _more(found.get(r.response_id), n):
                        found[r.response_id] = flag
    return found


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


def sequence_flags(rows: Sequence[Row], th: Thresholds) -> dict[int, Flag]:
    """Sessions from one network and user agent, one after another, none overlapping another.

    Per network and agent, sessions (opening to first submission) in order of opening form a run
    while each opens after every earlier one was submitted, within sequence_gap_minutes of the
    last; a session overlapping an earlier one ends the run (people answering side by side).
    """
    groups: dict[tuple[bytes, bytes], list[tuple[float, float, Row]]] = defaultdict(list)
    for r in _watched(rows):
        if r.network is not None and r.agent is not None and r.opened_at is not None:
            start, end = r.opened_at.timestamp(), r.submitted_at.timestamp()
            groups[(r.network, r.agent)].append((start, max(start, end), r))
    gap = th.sequence_gap_minutes * 60
    found = {}

    def close(run: list[Row]) -> None:
        if len({r.household_id for r in run}) >= th.sequence_min:
            flag = Flag("sequence", {"count": len(run)},
                        f"sequence:{_hex(run[0].network)}:{_minute(run[0].opened_at)}", True)
            for r in run:
                found[r.response_id] = flag

    for group in groups.values():
        if len(group) < th.sequence_min:
            continue
        group.sort(key=lambda s: (s[0], s[1]))
        run: list[Row] = []
        latest = float("-inf")  # the last submission of the group so far
        for start, end, r in group:
            if not (start >= latest and start - latest <= gap):
                close(run)
                run = []
            run.append(r)
            latest = max(latest, end)
        close(run)
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
