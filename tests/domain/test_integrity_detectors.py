"""The integrity detectors on crafted rows: each fires on what it looks for and not on the ordinary,
the rule that combines flags, the reasons in Chinese and English, flags as JSON."""
from __future__ import annotations

import json
import random
from dataclasses import fields, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale

from survey_app.config import Config
from survey_app.domain.integrity.combine import Flag, decide, reason
from survey_app.domain.integrity.detectors import Thresholds, detect
from survey_app.domain.integrity.rows import Change, Row

TH = Thresholds()
EVENING = datetime(2026, 5, 12, 19, 0)
CAMPAIGN_START = datetime(2026, 5, 1, 9, 0)


def row(i: int, **kw) -> Row:
    """An ordinary self-answered response of household i: its own device, 6 minutes, answers that vary."""
    submitted = kw.pop("submitted_at", CAMPAIGN_START + timedelta(hours=7 * i))
    duration = kw.pop("duration", 360.0)
    values = dict(response_id=i, household_id=i, compound_id=1, company_id=1, mode="self", worker_id=None,
                  opened_at=submitted - timedelta(seconds=duration), submitted_at=submitted, duration=duration,
                  device=f"dev{i}".encode(), network=f"net{i}".encode(), agent=b"ua", score=60.0 + i % 30,
                  overall=3 + i % 3, uniform=False, comment=None)
    values.update(kw)
    return Row(**values)


def background(n: int = 60, start: int = 1000) -> list[Row]:
    """Ordinary responses spread over two weeks, so a median and a compound's usual rate exist."""
    return [row(start + k, submitted_at=CAMPAIGN_START + timedelta(minutes=337 * k)) for k in range(n)]


def kinds(found, response_id) -> set[str]:
    return {f.kind for f in found.get(response_id, [])}


def flag_of(found, response_id, kind) -> Flag:
    return next(f for f in found[response_id] if f.kind == kind)


# --- device --------------------------------------------------------------------------------------

def test_one_device_for_three_households_holds_them_and_for_two_is_weak():
    rows = background() + [row(1, device=b"phone"), row(2, device=b"phone"), row(3, device=b"phone"),
                           row(4, device=b"tablet"), row(5, device=b"tablet")]
    found = detect(rows, TH)
    three = flag_of(found, 1, "device")
    assert three.strong and three.params == {"households": 3} and three.cluster.startswith("device:")
    assert {f.cluster for i in (1, 2, 3) for f in found[i]} == {three.cluster}
    two = flag_of(found, 4, "device")
    assert not two.strong and two.params == {"households": 2}
    assert decide(found[1], None) == "held" and decide(found[4], None) == "published"
    assert not any(kinds(found, r.response_id) for r in background())


def test_a_device_that_changed_other_households_answers_counts_them():
    change = Change(at=EVENING, device=b"phone", network=None, new_device=True, score_before=60, score_after=65)
    rows = background() + [row(1, device=b"phone"), row(2, changes=(change,)), row(3, changes=(change,))]
    found = detect(rows, TH)
    assert flag_of(found, 1, "device").params == {"households": 3}
    assert flag_of(found, 2, "device").strong


def test_a_grid_workers_phone_answering_assisted_households_is_not_a_device_flag():
    rows = background() + [row(i, device=b"worker-phone", network=b"office", mode="assisted", worker_id=7,
                               submitted_at=EVENING + timedelta(minutes=7 * i)) for i in range(1, 13)]
    found = detect(rows, TH)
    assert not any(kinds(found, i) & {"device", "network", "burst", "sequence"} for i in range(1, 13))


# --- network and burst ---------------------------------------------------------------------------

def _evening(n: int, start: int = 1, minutes: float = 5.0, **kw) -> list[Row]:
    return [row(start + k, submitted_at=EVENING + timedelta(minutes=minutes * k), **kw) for k in range(n)]


def test_many_households_from_one_network_in_an_hour_is_a_weak_flag():
    rows = background() + _evening(10, network=b"carrier")
    found = detect(rows, TH)
    flag = flag_of(found, 1, "network")
    assert not flag.strong and flag.params == {"households": 10, "minutes": 45}
    assert flag.cluster.startswith("network:") and flag.cluster.endswith(":2026-05-12T19:00")
    assert all(flag_of(found, i, "network") == flag for i in range(1, 11))


def test_fewer_households_or_a_longer_time_is_no_network_flag():
    assert not any("network" in kinds(detect(background() + _evening(9, network=b"carrier"), TH), i)
                   for i in range(1, 10))
    spread = detect(background() + _evening(12, minutes=20, network=b"carrier"), TH)
    assert not any("network" in kinds(spread, i) for i in range(1, 13))


def test_a_burst_far_above_the_compounds_usual_rate_is_a_weak_flag():
    found = detect(background() + _evening(12, minutes=2), TH)
    flag = flag_of(found, 1, "burst")
    assert not flag.strong and flag.params["count"] == 12 and flag.params["ratio"] > 10
    assert flag.cluster == "burst:1:2026-05-12T19:00"
    assert not any("burst" in kinds(found, r.response_id) for r in background())


def test_a_compound_answering_at_its_usual_rate_has_no_burst():
    found = detect(background(200) + _evening(8, minutes=30), TH)
    assert not any("burst" in kinds(found, i) for i in range(1, 9))


# --- speed and uniform answers -------------------------------------------------------------------

def test_an_answer_under_a_fifth_of_the_median_time_holds(app):
    found = detect(background() + [row(1, duration=35.0), row(2, duration=100.0)], TH)
    flag = flag_of(found, 1, "speed")
    assert flag.strong and decide(found[1], None) == "held"
    assert "speed" not in kinds(found, 2)
    with force_locale("zh_CN"):
        assert reason(flag) == "作答用时 35 秒，不到本问卷中位用时（6 分钟）的 20%"


def test_speed_needs_a_median_from_enough_durations_or_a_given_one():
    few = [row(1, duration=30.0)] + background(10)
    assert "speed" not in kinds(detect(few, TH), 1)
    assert "speed" in kinds(detect(few, TH, median_duration=400.0), 1)


def test_answers_all_alike_never_hold_alone():
    found = detect(background() + [row(1, uniform=True)], TH)
    flag = flag_of(found, 1, "uniform")
    assert not flag.strong and decide(found[1], None) == "published"


# --- copied comments -----------------------------------------------------------------------------

COMMENT = "地下车库漏水很多年了，物业一直不处理，希望尽快维修！"


def others_commenting(n: int = 200, start: int = 3000) -> list[Row]:
    """Households of ten other companies, each with a comment of its own."""
    rng = random.Random(8)
    return [row(start + k, compound_id=10 + k % 20, company_id=10 + k % 10,
                comment="".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(25))) for k in range(n)]


def test_the_same_long_comment_from_different_households_holds_them():
    rows = others_commenting() + [row(1, comment=COMMENT), row(2, comment="  地下车库漏水很多年了物业一直不处理 希望尽快维修。"),
                                  row(3, comment=COMMENT.replace("尽快", "马上"))]
    found = detect(rows, TH)
    flag = flag_of(found, 1, "copied")
    assert flag.strong and flag.params == {"others": 2} and flag.cluster.startswith("copied:")
    assert flag_of(found, 2, "copied") == flag_of(found, 3, "copied") == flag
    assert not any("copied" in kinds(found, r.response_id) for r in others_commenting())


def test_short_or_different_comments_are_not_copied():
    rows = others_commenting() + [row(1, comment="服务很好，继续保持"), row(2, comment="服务很好，继续保持"), row(3, comment=COMMENT),
                                  row(4, comment="楼道灯坏了三个月没人修，电梯也经常停运，物业电话打不通。")]
    found = detect(rows, TH)
    assert not any("copied" in kinds(found, i) for i in (1, 2, 3, 4))


def test_full_width_letters_and_digits_count_as_ascii():
    rows = others_commenting() + [row(1, comment="ABC小区3号楼门禁坏了两个月没人管，希望物业重视"),
                                  row(2, comment="ＡＢＣ小区３号楼门禁坏了两个月没人管，希望物业重视")]
    assert "copied" in kinds(detect(rows, TH), 2)


def test_a_phrase_residents_write_all_over_the_campaign_is_not_a_copy():
    everywhere = [replace(r, comment=COMMENT if r.response_id % 2 == 0 else r.comment) for r in others_commenting(90)]
    found = detect(everywhere + [row(1, comment=COMMENT), row(2, comment=COMMENT)], TH)
    assert not any("copied" in kinds(found, r.response_id) for r in everywhere)
    assert "copied" not in kinds(found, 1)


def test_copies_gathered_in_one_compound_count_when_one_company_manages_them_all():
    rows = [replace(r, company_id=1) for r in others_commenting()] + [row(1, comment=COMMENT), row(2, comment=COMMENT)]
    found = detect(rows, TH)
    assert flag_of(found, 1, "copied").params == {"others": 1}


# --- grid worker -------------------------------------------------------------------------------

def _compound_with_worker(assisted_scores, uniform: bool) -> list[Row]:
    rng = random.Random(3)
    own = [row(100 + k, compound_id=5, score=float(rng.randint(30, 95)), uniform=rng.random() < 0.1)
           for k in range(30)]
    assisted = [row(200 + k, compound_id=5, mode="assisted", worker_id=9, device=b"worker-phone",
                    score=float(s), uniform=uniform) for k, s in enumerate(assisted_scores)]
    return background() + own + assisted


def test_a_workers_high_uniform_assisted_answers_unlike_his_compounds_hold():
    found = detect(_compound_with_worker([100] * 10, uniform=True), TH)
    flag = flag_of(found, 200, "worker")
    assert flag.strong and flag.cluster == "worker:9" and flag.params["assisted"] == 10
    assert flag.params["assisted_score"] == 100 and flag.params["assisted_uniform"] == 1
    assert all("worker" in kinds(found, 200 + k) for k in range(10))
    assert not any("worker" in kinds(found, 100 + k) for k in range(30))


def test_assisted_answers_like_the_self_answered_ones_are_not_flagged():
    rng = random.Random(4)
    found = detect(_compound_with_worker([rng.randint(30, 95) for _ in range(10)], uniform=False), TH)
    assert not any("worker" in kinds(found, 200 + k) for k in range(10))


def test_a_few_assisted_answers_are_not_compared():
    found = detect(_compound_with_worker([100] * 5, uniform=True), TH)
    assert not any("worker" in kinds(found, 200 + k) for k in range(5))


# --- changes -------------------------------------------------------------------------------------

def test_a_change_from_a_new_device_that_moves_the_index_far_holds():
    far = Change(at=EVENING, device=b"other", network=None, new_device=True, score_before=85, score_after=30)
    found = detect(background() + [row(1, changes=(far,))], TH)
    flag = flag_of(found, 1, "changed")
    assert flag.strong and flag.params == {"before": 85, "after": 30}


def test_a_change_from_the_same_device_or_a_small_move_is_not_flagged():
    same = Change(at=EVENING, device=b"dev1", network=None, new_device=False, score_before=85, score_after=30)
    small = Change(at=EVENING, device=b"other", network=None, new_device=True, score_before=85, score_after=70)
    found = detect(background() + [row(1, changes=(same,)), row(2, changes=(small,))], TH)
    assert "changed" not in kinds(found, 1) | kinds(found, 2)


# --- sequence ------------------------------------------------------------------------------------

def _sequence(n: int, gap: float, length: float = 240.0, start: int = 1) -> list[Row]:
    rows, t = [], EVENING
    for k in range(n):
        opened = t
        t = opened + timedelta(seconds=length)
        rows.append(row(start + k, opened_at=opened, submitted_at=t, duration=length, network=b"home", agent=b"ua-x"))
        t += timedelta(seconds=gap)
    return rows


def test_sessions_one_after_another_from_one_network_and_agent_hold():
    found = detect(background() + _sequence(6, gap=40), TH)
    flag = flag_of(found, 1, "sequence")
    assert flag.strong and flag.params == {"count": 6, "minutes": 3} and flag.cluster.endswith(":2026-05-12T19:00")
    assert all(decide(found[i], None) == "held" for i in range(1, 7))


def test_overlapping_sessions_long_gaps_or_few_sessions_are_no_sequence():
    overlapping = _sequence(8, gap=-60)
    assert not any("sequence" in kinds(detect(background() + overlapping, TH), i) for i in range(1, 9))
    slow = _sequence(8, gap=600)
    assert not any("sequence" in kinds(detect(background() + slow, TH), i) for i in range(1, 9))
    assert "sequence" not in kinds(detect(background() + _sequence(4, gap=30), TH), 1)
    other_agents = [replace(r, agent=f"ua{r.response_id % 2}".encode()) for r in _sequence(8, gap=30)]
    assert "sequence" not in kinds(detect(background() + other_agents, TH), 1)


# --- the combination rule ------------------------------------------------------------------------

def _flags(*spec):
    return [Flag(kind, {}, "", strong) for kind, strong in spec]


@pytest.mark.parametrize("spec, expected", [
    ((), "published"),
    ((("network", False),), "published"),
    ((("burst", False),), "published"),
    ((("uniform", False),), "published"),
    ((("network", False), ("burst", False), ("uniform", False)), "published"),
    ((("device", False),), "published"),
    ((("device", False), ("uniform", False)), "held"),
    ((("device", False), ("network", False)), "held"),
    ((("network", False), ("burst", False), ("speed", True)), "held"),
    ((("sequence", True),), "held"),
    ((("copied", True),), "held"),
])
def test_which_flags_hold_a_response(spec, expected):
    assert decide(_flags(*spec), None) == expected


def test_an_officers_decision_wins():
    strong = _flags(("device", True))
    assert decide(strong, "accepted") == "published"
    assert decide([], "rejected") == "rejected" and decide(strong, "rejected") == "rejected"


# --- scenarios -----------------------------------------------------------------------------------

def _visit_evening(rng: random.Random, households: int, start: int) -> list[Row]:
    """A whole compound answering from one carrier address in the evening after a visit."""
    rows = []
    for k in range(households):
        opened = EVENING + timedelta(minutes=rng.uniform(0, 150))
        duration = min(rng.lognormvariate(5.9, 0.45), 3000)  # median about 6 minutes
        rows.append(row(start + k, compound_id=2, opened_at=opened, submitted_at=opened + timedelta(seconds=duration),
                        duration=duration, network=b"carrier-nat", agent=f"ua{rng.randrange(4)}".encode(),
                        score=float(rng.randint(40, 100)), uniform=rng.random() < 0.15))
    return rows


def test_a_compound_answering_from_one_carrier_address_after_a_visit_is_not_held():
    rng = random.Random(11)
    genuine = _visit_evening(rng, 150, start=1)
    found = detect(background(300) + genuine, TH)
    held = [r for r in genuine if decide(found.get(r.response_id, []), None) == "held"]
    assert "network" in kinds(found, 1) and any("burst" in kinds(found, r.response_id) for r in genuine)
    assert len(held) <= 0.02 * len(genuine)


def _burst(rng: random.Random, agent: bytes, n: int = 12) -> list[Row]:
    """One person, one browser, a fresh cookie each time, one answer after another."""
    attack, t = [], EVENING + timedelta(minutes=30)
    for k in range(n):
        duration = rng.uniform(150, 300)
        attack.append(row(500 + k, compound_id=2, opened_at=t, submitted_at=t + timedelta(seconds=duration),
                          duration=duration, device=f"fresh{k}".encode(), network=b"carrier-nat",
                          agent=agent, score=100.0, uniform=True))
        t += timedelta(seconds=duration + rng.uniform(10, 90))
    return attack


@pytest.mark.parametrize("agent", [b"ua-attacker", b"ua0"])
def test_a_burst_from_one_address_with_cleared_cookies_is_held(agent):
    # ua0 is the browser of a quarter of the neighbours answering from the same address that evening
    rng = random.Random(5)
    genuine = _visit_evening(rng, 80, start=1)
    attack = _burst(rng, agent)
    found = detect(background(300) + genuine + attack, TH)
    assert all(decide(found[r.response_id], None) == "held" for r in attack)
    held = [r for r in genuine if decide(found.get(r.response_id, []), None) == "held"]
    assert len(held) <= 4  # at most a neighbour or two either side of the chain


# --- reasons and storage -------------------------------------------------------------------------

ALL = [
    Flag("device", {"households": 4}, "device:1a2b3c4d", True),
    Flag("network", {"households": 12, "minutes": 40}, "network:1a2b3c4d:2026-05-12T19:00"),
    Flag("burst", {"count": 15, "minutes": 30, "ratio": 22.5}, "burst:3:2026-05-12T19:00"),
    Flag("speed", {"seconds": 35, "median": 360, "share": 0.2}, "speed:3", True),
    Flag("uniform", {}, "uniform:3"),
    Flag("copied", {"others": 3}, "copied:1a2b3c4d", True),
    Flag("worker", {"assisted": 12, "assisted_score": 98.5, "assisted_uniform": 0.92, "self": 40,
                    "self_score": 71.2, "self_uniform": 0.1}, "worker:7", True),
    Flag("changed", {"before": 85.0, "after": 30.0}, "changed:1a2b3c4d", True),
    Flag("sequence", {"count": 9, "minutes": 3.0}, "sequence:1a2b3c4d:2026-05-12T19:30", True),
]


def test_reasons_in_plain_chinese(app):
    with force_locale("zh_CN"):
        text = {f.kind: f.reason() for f in ALL}
    assert text["device"] == "同一设备为 4 户作答"
    assert text["speed"] == "作答用时 35 秒，不到本问卷中位用时（6 分钟）的 20%"
    assert text["worker"].startswith("网格员代填 12 份，平均 98.5 分，92% 全选同一项")
    assert text["changed"] == "答卷由另一台设备修改，指数从 85 变为 30"
    assert all(text.values()) and "%(" not in "".join(text.values())


def test_reasons_in_english(app):
    with force_locale("en"):
        text = {f.kind: f.reason() for f in ALL}
    assert all(t and not any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in text.values()), text
    assert "4" in text["device"] and "35" in text["speed"] and "20%" in text["speed"]


def test_flags_round_trip_through_json():
    for flag in ALL:
        assert Flag.from_dict(json.loads(json.dumps(flag.to_dict()))) == flag


def test_thresholds_come_from_the_configuration(app):
    assert Thresholds.from_config(app.config) == Thresholds()
    changed = Thresholds.from_config({"INTEGRITY_DEVICE_HOUSEHOLDS": "5", "INTEGRITY_SPEED_SHARE": 0.3})
    assert changed.device_households == 5 and changed.speed_share == 0.3 and changed.burst_min == TH.burst_min


def test_every_threshold_is_a_setting_and_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "integrity.md").read_text()
    for f in fields(Thresholds):
        name = f.name.upper()
        assert getattr(Config, "INTEGRITY_" + name) == f.default, name
        assert f"`{name}`" in doc, name
