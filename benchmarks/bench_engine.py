"""Scoring engine throughput: 100k generated indicators, single process.

Projects of 20 indicators in the shape of the published tables (numeric positive and reverse with
units, zero targets, qualitative, deadlines, reference targets), actuals as clerks type them
(strings, some with convertible units, grade and date objects). Targets are parsed beforehand:
what is timed is ``score_project`` — reading the actuals, points, scores, explanations, totals.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from benchmarks import Result

PER_PROJECT = 20


def generate(n_indicators: int, seed: int = 42):
    """``[(indicators, actuals, budget)]`` for ⌈n/20⌉ projects."""
    from app.scoring.engine import Budget
    from app.targets.grammar import parse_target
    from app.targets.types import ParsedIndicator

    rng = random.Random(seed)
    parsed: dict[tuple[str, str], object] = {}

    def ind(level1: str, level2: str, name: str, raw: str) -> ParsedIndicator:
        key = (raw, level2)
        if key not in parsed:
            parsed[key] = parse_target(raw, level2=level2, year=2023)
        return ParsedIndicator(level1, level2, name, parsed[key])

    projects = []
    for _ in range(-(-n_indicators // PER_PROJECT)):
        inds, acts = [], []
        for k in range(PER_PROJECT):
            roll = rng.random()
            t = rng.randint(1, 200)
            if k >= 17:  # 满意度
                inds.append(ind("满意度指标", "服务对象满意度指标", "群众满意度", f"≥{rng.randint(85, 95)}%"))
                acts.append(str(rng.randint(80, 100)))
            elif k >= 11:  # 效益
                if roll < 0.4:
                    inds.append(ind("效益指标", "可持续影响指标", "制度健全性", "健全"))
                    acts.append(
                        rng.choice(["健全", {"grade": "部分达成"}, "达成年度指标", {"grade": "未达成"}])
                    )
                elif roll < 0.55:
                    inds.append(ind("效益指标", "社会效益指标", "事故发生次数", "0次"))
                    acts.append(rng.choice(["0", "0", "1"]))
                elif roll < 0.7:
                    inds.append(ind("效益指标", "社会效益指标", "维权次数提升", "≥2022年依法维权次数"))
                    acts.append({"baseline": str(t), "value": str(t + rng.randint(-20, 20))})
                else:
                    inds.append(ind("效益指标", "社会效益指标", "知晓率", f"≥{rng.randint(80, 98)}%"))
                    acts.append(f"{rng.randint(70, 100)}%")
            elif k >= 8:  # 成本
                inds.append(ind("产出指标", "成本指标", "业务经费", f"≤{t}万元"))
                acts.append(rng.choice([str(t - 1), f"{t * 10000 + rng.randint(-9999, 9999)}元", f"{t}.5"]))
            elif k == 7:
                inds.append(ind("产出指标", "时效指标", "完成时间", "2023年12月底前"))
                acts.append({"date": rng.choice(["2023-11-30", "2024-01-15"])})
            else:
                inds.append(ind("产出指标", "数量指标", "检查次数", f"≥{t}次"))
                acts.append(str(rng.randint(0, t * 2)))
        full = Decimal(rng.randint(10, 500))
        budget = Budget(full, full * Decimal(rng.randint(60, 105)) / 100)
        projects.append((inds, acts, budget))
    return projects


def run(quick: bool = False) -> list[Result]:
    from app.scoring.engine import score_project
    from app.scoring.policy import CENTRAL_2020

    n = 10_000 if quick else 100_000
    projects = generate(n)
    policy = CENTRAL_2020
    count = sum(len(p[0]) for p in projects)
    score_project(*projects[0], policy)  # warm caches (compiled policy, unit table)

    best = float("inf")
    for _ in range(1 if quick else 3):
        started = time.perf_counter()
        for inds, acts, budget in projects:
            score_project(inds, acts, budget, policy, 2023)
        best = min(best, time.perf_counter() - started)

    started = time.perf_counter()
    for inds, acts, budget in projects:
        score_project(inds, acts, budget, policy, 2023).to_json()
    with_json = time.perf_counter() - started

    note = f"{count:,} indicators in {len(projects):,} projects of {PER_PROJECT}, single process"
    return [
        Result("engine: score_project", count / best, "indicators/s", note + ", best of 3"),
        Result("engine: score_project + to_json", count / with_json, "indicators/s", note),
    ]
