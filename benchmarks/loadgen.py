"""HTTP load from a second process: ``python -m benchmarks.loadgen '<json spec>'`` → JSON on stdout.

Bounded twice: at most ``requests`` requests and at most ``seconds`` seconds, whichever comes
first, from ``concurrency`` clients over loopback (the base URL must be 127.0.0.1). Modes:

- ``summaries``: ``GET /api/v1/summaries?year=&limit=100&offset=…`` at random pages, one token;
- ``entry``: each client owns one project (``projects``: ``[{project_id, token}]``) and saves it
  again and again with ``PUT /api/v1/projects/{id}/actuals`` (the version from the last answer,
  values alternating so every save changes something); only the PUTs are timed.

Each client is one keep-alive connection of ``benchmarks.rawhttp`` (cheap on the CPU the server
shares with it) on uvloop when installed.

Result: requests, errors (transport failures and unexpected statuses), status counts, p50/p99 (ms),
requests/s over the measured wall time, and the CPU seconds this load generator itself used.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter
from typing import Any

from benchmarks.rawhttp import Client, HTTPError


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


async def summaries(spec: dict[str, Any], client: Client, budget: Budget, out: dict) -> None:
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
        except HTTPError as exc:
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


async def entry(spec: dict[str, Any], client: Client, budget: Budget, out: dict, mine: dict) -> None:
    headers = {"Authorization": f"Bearer {mine['token']}"}
    path = f"/api/v1/projects/{mine['project_id']}"
    project = None
    while project is None and budget.open():
        try:
            r = await client.get(path, headers=headers)
            if r.status_code == 200:
                project = r.json()
        except HTTPError:
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
            r = await client.put(f"{path}/actuals", json_body=body, headers=headers)
            out["statuses"][r.status_code] += 1
            ok = r.status_code == 200
            if ok:
                version = r.json()["version"]
            else:
                out["samples"].append(f"{r.status_code} {r.text[:300]}")
                if r.status_code == 409:  # read the current version and go on
                    version = (await client.get(path, headers=headers)).json()["version"]
        except HTTPError as exc:
            ok = False
            out["statuses"][type(exc).__name__] += 1
        out["latencies"].append((time.perf_counter() - started) * 1000)
        out["errors"] += not ok


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    if not spec["base"].startswith("http://127.0.0.1:"):
        raise SystemExit("loopback only")
    out: dict[str, Any] = {"latencies": [], "errors": 0, "statuses": Counter(), "samples": []}
    budget = Budget(spec["requests"], spec["seconds"])
    started, cpu = time.perf_counter(), time.process_time()

    async def arrive(k: int, run) -> None:
        # Clients arrive 20 ms apart and start at once: a worker busy with the first ones is slow
        # to accept the next (50 connections opened at the same instant would mostly go to
        # whichever worker wakes first, and stay there for the whole run).
        await asyncio.sleep(k * 0.02)
        client = Client(spec["base"])
        await client.connect()
        await run(client)

    if spec["mode"] == "summaries":
        tasks = [arrive(k, lambda c: summaries(spec, c, budget, out)) for k in range(spec["concurrency"])]
    else:
        mine = spec["projects"][: spec["concurrency"]]
        tasks = [arrive(k, lambda c, p=p: entry(spec, c, budget, out, p)) for k, p in enumerate(mine)]
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    lat = out["latencies"]
    return {
        "requests": len(lat),
        "errors": out["errors"],
        "statuses": {str(k): v for k, v in out["statuses"].items()},
        "p50_ms": percentile(lat, 0.50),
        "p99_ms": percentile(lat, 0.99),
        "rps": len(lat) / wall if wall else 0.0,
        "seconds": wall,
        "client_cpu_seconds": cpu,
        "samples": out["samples"][:3],
    }


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        pass
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
