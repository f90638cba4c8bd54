"""HTTP load from a second process: ``python -m benchmarks.loadgen '<json spec>'`` → JSON on stdout.

Bounded twice: at most ``requests`` requests and at most ``seconds`` seconds, whichever comes
first, from ``concurrency`` clients over loopback (the base URL must be 127.0.0.1). Modes:

- ``summaries``: ``GET /api/v1/summaries?year=&limit=100&offset=…`` at random pages, one token;
- ``entry``: each client owns one project (``projects``: ``[{project_id, token}]``) and saves it
  again and again with ``PUT /api/v1/projects/{id}/actuals`` (the version from the last answer,
  values alternating so every save changes something); only the PUTs are timed.

Result: requests, errors (transport failures and unexpected statuses), status counts, p50/p99 (ms),
requests/s over the measured wall time.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter
from typing import Any

import httpx


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


class Budget:
    def __init__(self, requests: int, seconds: float) -> None:
        self.left = requests
        self.deadline = time.perf_counter() + seconds

    def open(self) -> bool:
        return time.perf_counter() < self.deadline

    def take(self) -> bool:
        if self.left <= 0 or time.perf_counter() >= self.deadline:
            return False
        self.left -= 1
        return True


async def summaries(spec: dict[str, Any], client: httpx.AsyncClient, budget: Budget, out: dict) -> None:
    headers = {"Authorization": f"Bearer {spec['token']}"}
    pages = max(1, spec["rows"] // 100)
    rng = random.Random()
    while budget.take():
        offset = rng.randrange(pages) * 100
        started = time.perf_counter()
        try:
            r = await client.get(
                "/api/v1/summaries",
                params={"year": spec["year"], "limit": 100, "offset": offset},
                headers=headers,
            )
            ok = r.status_code == 200 and len(r.json()["items"]) > 0
            out["statuses"][r.status_code] += 1
        except httpx.HTTPError as exc:
            ok = False
            out["statuses"][type(exc).__name__] += 1
        out["latencies"].append((time.perf_counter() - started) * 1000)
        out["errors"] += not ok


def _values(indicators: list[dict[str, Any]], flip: int) -> list[dict[str, Any]]:
    """An actual for every indicator that fits its kind; ``flip`` alternates the values."""
    out = []
    for ind in indicators:
        direction = ind.get("direction")
        if direction == "qualitative":
            actual: Any = {"grade": "达成" if flip else "部分达成"}
        elif direction == "deadline":
            actual = {"date": ind["target"]["date"] if flip else "2024-01-20"} if ind.get("target") else None
        elif direction == "reference":
            actual = {"baseline": "100", "value": str(110 + flip)}
        else:
            actual = str(10 + flip)
        reason = "按计划实施，年中调整了部分任务。" if not flip else None
        out.append({"indicator_id": ind["id"], "actual": actual, "reason": reason})
    return out


async def entry(
    spec: dict[str, Any], client: httpx.AsyncClient, budget: Budget, out: dict, mine: dict
) -> None:
    headers = {"Authorization": f"Bearer {mine['token']}"}
    path = f"/api/v1/projects/{mine['project_id']}"
    project = None
    while project is None and budget.open():
        try:
            r = await client.get(path, headers=headers)
            if r.status_code == 200:
                project = r.json()
        except httpx.HTTPError:
            pass
    if project is None:
        return
    version = project["version"]
    flip = 0
    think = spec.get("think_ms", 0) / 1000
    rng = random.Random(mine["project_id"])
    while budget.take():
        if think:  # a clerk between two saves: exponential pause with this mean
            await asyncio.sleep(rng.expovariate(1 / think))
        flip ^= 1
        body = {
            "version": version,
            "budget": {"full_year_wan": "100.00", "executed_wan": str(90 + flip)},
            "actuals": _values(project["indicators"], flip),
        }
        started = time.perf_counter()
        try:
            r = await client.put(f"{path}/actuals", json=body, headers=headers)
            out["statuses"][r.status_code] += 1
            ok = r.status_code == 200
            if ok:
                version = r.json()["version"]
            else:
                out["samples"].append(f"{r.status_code} {r.text[:300]}")
                if r.status_code == 409:  # read the current version and go on
                    version = (await client.get(path, headers=headers)).json()["version"]
        except httpx.HTTPError as exc:
            ok = False
            out["statuses"][type(exc).__name__] += 1
        out["latencies"].append((time.perf_counter() - started) * 1000)
        out["errors"] += not ok


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    if not spec["base"].startswith("http://127.0.0.1:"):
        raise SystemExit("loopback only")
    out: dict[str, Any] = {"latencies": [], "errors": 0, "statuses": Counter(), "samples": []}
    budget = Budget(spec["requests"], spec["seconds"])
    limits = httpx.Limits(max_connections=spec["concurrency"], max_keepalive_connections=spec["concurrency"])
    async with httpx.AsyncClient(base_url=spec["base"], limits=limits, timeout=30) as client:
        started = time.perf_counter()
        if spec["mode"] == "summaries":
            tasks = [summaries(spec, client, budget, out) for _ in range(spec["concurrency"])]
        else:
            tasks = [entry(spec, client, budget, out, p) for p in spec["projects"][: spec["concurrency"]]]
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - started
    lat = out["latencies"]
    return {
        "requests": len(lat),
        "errors": out["errors"],
        "statuses": {str(k): v for k, v in out["statuses"].items()},
        "p50_ms": percentile(lat, 0.50),
        "p99_ms": percentile(lat, 0.99),
        "rps": len(lat) / wall if wall else 0.0,
        "seconds": wall,
        "samples": out["samples"][:3],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
