"""Benchmark: the integrity detectors over a city's rows against a plain grouping loop.

Usage:  python bench/integrity_detect.py [--rows 600000] [--repeat 3] [--seed 1] [--scenarios]

Builds N synthetic rows in memory (no database): ~300 per compound over a 30-day campaign, most
of a compound answering on a visit evening from a few carrier addresses (overlapping sessions,
many devices, ~6-minute durations, some all-5 answers), the rest from home networks over the
weeks; some assisted answers, comments, changes. It then measures, in the same run, (a) the
baseline: one pass that groups the rows by compound and sorts each group by submission time, the
least any detector does; (b) `detect` over all rows; (c) each detector alone. Prints seconds and
each as a ratio to (a): machines are shared and noisy, compare ratios.

--scenarios also injects the cheating the issue names (company staff on three phones, a burst
from one address with cookies cleared, speeders, copied comments, a grid worker filling assisted
answers alone) and prints the share of each held by `decide`, and of the genuine rows.
"""
from __future__ import annotations

import argparse
import random
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from benchkit import timed  # also puts the repository root on sys.path

from survey_app.domain.integrity import detectors as d  # noqa: E402
from survey_app.domain.integrity.combine import decide  # noqa: E402
from survey_app.domain.integrity.rows import Change, Row  # noqa: E402

START = datetime(2026, 5, 1, 8, 0)
DAYS = 30
AGENTS = [f"ua{i}".encode() for i in range(40)]
AGENT_WEIGHTS = [1 / (i + 1) for i in range(40)]  # a few browsers are very common
PHRASES = ["垃圾清运不及时", "停车位不够", "楼道灯坏了", "电梯经常停运", "绿化没人修剪", "保安不巡逻",
           "报修没人来", "收费不公开", "服务态度很好", "小区环境干净", "希望继续保持", "下水道堵塞",
           "外来车辆随便进", "快递乱堆放", "晚上噪音大", "物业电话打不通"]


class City:
    """Synthetic rows with unique ids; `tag` records which scenario produced each row."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.rows: list[Row] = []
        self.tag: dict[int, str] = {}
        self.next_id = 1

    def add(self, tag: str, **kw) -> Row:
        rid = self.next_id
        self.next_id += 1
        kw.setdefault("household_id", rid)
        r = Row(response_id=rid, **kw)
        self.rows.append(r)
        self.tag[rid] = tag
        return r

    def answers(self, high: bool = False) -> dict:
        rng = self.rng
        if high or rng.random() < 0.12:  # all-5 answers, content residents
            return {"score": 100.0, "overall": 5, "uniform": True}
        score = min(100.0, max(0.0, rng.gauss(72, 15)))
        return {"score": round(score, 1), "overall": max(1, min(5, round(score / 20))), "uniform": False}

    def comment(self) -> str | None:
        rng = self.rng
        if rng.random() > 0.2:
            return None
        return "，".join(rng.sample(PHRASES, rng.randint(1, 4)))

    def genuine(self, compounds: int, per_compound: int) -> None:
        """Compounds answering mostly on a visit evening from carrier addresses, the rest over weeks."""
        rng = self.rng
        for compound in range(1, compounds + 1):
            carriers = [f"nat{compound}-{k}".encode() for k in range(rng.randint(1, 3))]
            evening = START + timedelta(days=rng.randrange(DAYS - 1), hours=11)
            worker = 10_000 + compound // 5
            for _ in range(per_compound):
                duration = min(rng.lognormvariate(5.9, 0.45), 3600.0)
                if rng.random() < 0.05:  # assisted by the grid worker on his visits
                    opened = evening - timedelta(hours=rng.uniform(2, 8))
                    self._row("genuine", compound, opened, duration, mode="assisted", worker_id=worker,
                              device=f"worker{worker}".encode(), network=f"cell{worker}".encode(),
                              agent=AGENTS[0])
                    continue
                if rng.random() < 0.6:
                    opened, network = evening + timedelta(minutes=rng.uniform(0, 180)), rng.choice(carriers)
                else:
                    opened = START + timedelta(seconds=rng.uniform(0, DAYS * 86400))
                    network = f"home{rng.randrange(400_000)}".encode()
                self._row("genuine", compound, opened, duration, network=network,
                          agent=rng.choices(AGENTS, AGENT_WEIGHTS)[0])

    def _row(self, tag, compound, opened, duration, *, mode="self", worker_id=None, device=None, network=None,
             agent=None, answers=None, comment=None, changes=()) -> Row:
        rid = self.next_id
        answers = answers or self.answers()
        if changes == () and self.rng.random() < 0.02:  # a later change from the same phone
            changes = (Change(opened + timedelta(days=1), device or f"dev{rid}".encode(), network, False,
                              answers["score"], answers["score"] - 10),)
        return self.add(tag, compound_id=compound, company_id=compound // 7, mode=mode, worker_id=worker_id,
                        opened_at=opened, submitted_at=opened + timedelta(seconds=duration), duration=duration,
                        device=device or f"dev{rid}".encode(), network=network, agent=agent,
                        comment=comment if comment is not None else self.comment(), changes=changes, **answers)

    def staff_phones(self, compound: int, households: int) -> None:
        """Company staff filling households' codes from three phones over several evenings."""
        rng = self.rng
        phones = [(f"staff{compound}-{k}".encode(), f"staffnet{compound}-{k}".encode(), rng.choice(AGENTS))
                  for k in range(3)]
        for _ in range(households):
            device, network, agent = rng.choice(phones)
            opened = START + timedelta(days=rng.randrange(DAYS), hours=rng.uniform(11, 14))
            self._row("staff", compound, opened, rng.uniform(120, 300), device=device, network=network,
                      agent=agent, answers=self.answers(high=rng.random() < 0.7))

    def burst(self, compound: int, n: int) -> None:
        """One person at one address, cookies cleared each time, one answer after another."""
        rng = self.rng
        t = START + timedelta(days=rng.randrange(DAYS), hours=rng.uniform(10, 14))
        agent = b"ua-burst"
        for k in range(n):
            duration = rng.uniform(90, 300)
            self._row("burst", compound, t, duration, device=f"fresh{compound}-{k}".encode(),
                      network=f"nat{compound}-0".encode(), agent=agent, answers=self.answers(high=True))
            t += timedelta(seconds=duration + rng.uniform(5, 120))

    def speeders(self, compound: int, n: int) -> None:
        """Residents (or staff) clicking through in well under the usual time."""
        for _ in range(n):
            opened = START + timedelta(seconds=self.rng.uniform(0, DAYS * 86400))
            self._row("speed", compound, opened, self.rng.uniform(15, 60),
                      network=f"home{self.rng.randrange(400_000)}".encode(), agent=AGENTS[1])

    def copied(self, compound: int, n: int) -> None:
        """The same long comment pasted into several households' answers, with small edits."""
        text = "物业公司服务非常到位，保安24小时巡逻，保洁天天打扫，维修随叫随到，我们非常满意！"
        for k in range(n):
            edit = text if k % 3 else text.replace("非常满意", "十分满意")
            opened = START + timedelta(seconds=self.rng.uniform(0, DAYS * 86400))
            self._row("copied", compound, opened, self.rng.lognormvariate(5.9, 0.3),
                      network=f"home{self.rng.randrange(400_000)}".encode(), agent=AGENTS[2], comment=edit)

    def lone_worker(self, compound: int, n: int) -> None:
        """A grid worker filling 'assisted' answers alone: all high and alike."""
        worker = 99_000 + compound
        for _ in range(n):
            opened = START + timedelta(days=self.rng.randrange(DAYS), hours=self.rng.uniform(1, 9))
            self._row("worker", compound, opened, self.rng.uniform(200, 400), mode="assisted", worker_id=worker,
                      device=f"worker{worker}".encode(), network=f"cell{worker}".encode(), agent=AGENTS[0],
                      answers=self.answers(high=True), comment="")


def baseline(rows) -> None:
    groups = defaultdict(list)
    for r in rows:
        groups[r.compound_id].append(r)
    for group in groups.values():
        group.sort(key=lambda r: r.submitted_at)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=600_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenarios", action="store_true")
    args = ap.parse_args()

    t = time.perf_counter()
    city = City(args.seed)
    per_compound = 300
    compounds = max(1, args.rows // per_compound)
    city.genuine(compounds, per_compound)
    if args.scenarios:
        for c in range(1, compounds + 1, 10):
            kind = (c // 10) % 5
            if kind == 0:
                city.staff_phones(c, int(0.15 * per_compound))
            elif kind == 1:
                city.burst(c, 15)
            elif kind == 2:
                city.speeders(c, 5)
            elif kind == 3:
                city.copied(c, 6)
            else:
                city.lone_worker(c, 12)
    rows = city.rows
    print(f"built {len(rows)} rows in {len(set(r.compound_id for r in rows))} compounds "
          f"in {time.perf_counter() - t:.1f} s")

    th = d.Thresholds()
    median = d.median_duration_of(rows, th)
    base = timed(lambda: baseline(rows), args.repeat)
    measures = [("group by compound and sort (baseline)", base),
                ("detect (all detectors)", timed(lambda: d.detect(rows, th), args.repeat))]
    for name, fn in (("device", d.device_flags), ("network", d.network_flags), ("burst", d.burst_flags),
                     ("uniform", d.uniform_flags), ("copied", d.copied_flags), ("worker", d.worker_flags),
                     ("changed", d.changed_flags), ("sequence", d.sequence_flags)):
        measures.append((f"  {name}", timed(lambda fn=fn: fn(rows, th), args.repeat)))
    measures.append(("  speed", timed(lambda: d.speed_flags(rows, th, median), args.repeat)))
    print(f"{'measure':40s} {'seconds':>9s} {'× baseline':>11s}")
    for name, secs in measures:
        print(f"{name:40s} {secs:9.3f} {secs / base:11.1f}")

    if args.scenarios:
        found = d.detect(rows, th)
        total, held, why = Counter(), Counter(), defaultdict(Counter)
        for r in rows:
            tag = city.tag[r.response_id]
            flags = found.get(r.response_id, [])
            total[tag] += 1
            if decide(flags, None) == "held":
                held[tag] += 1
                if tag == "genuine":
                    why[tag][" + ".join(sorted(f.kind for f in flags))] += 1
        print(f"\n{'scenario':12s} {'rows':>8s} {'held':>8s} {'share':>7s}")
        for tag in sorted(total):
            print(f"{tag:12s} {total[tag]:8d} {held[tag]:8d} {held[tag] / total[tag]:7.2%}")
        for combo, n in why["genuine"].most_common(8):
            print(f"  genuine held by {combo}: {n}")


if __name__ == "__main__":
    main()
