"""What the scale benchmarks share: sizes, databases, the province dataset, servers.

Sizes: a province year is 2,000 units × 20 projects × 20 indicators (800,000 indicators).
``BENCH_SCALE`` (0 < s ≤ 1) shrinks the number of units for quick runs (``--quick``: 0.02);
the README reports full-scale figures.

Databases: SQLite (a file in a temporary directory, or ``BENCH_DATA_DIR`` to keep it between
runs) and PostgreSQL when ``BENCH_PG_URL`` is set (``make bench`` starts a throwaway cluster with
.ci/postgres.sh and sets it); each benchmark database is created and dropped here.

The dataset of a database is built once per process, the first time a benchmark asks for it:
the generated tables imported one transaction each (timed: benchmark b), then the figures,
statuses and score snapshots (``app.demo.load.write_figures``), then one finance user and, for the
entry benchmark, department users with projects of 26 indicators.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FULL_UNITS = 2000
PROJECTS = 20
INDICATORS = 20
YEAR = 2023
SEED = 1
ENTRY_INDICATORS = 26
ENTRY_PROJECTS = 50  # one per concurrent client
ROOT = Path(__file__).resolve().parents[1]


def scale(quick: bool) -> float:
    if quick:
        return 0.02
    value = float(os.environ.get("BENCH_SCALE", "1") or 1)
    if not 0 < value <= 1:
        raise SystemExit("BENCH_SCALE 应在 0 与 1 之间")
    return value


def units(quick: bool) -> int:
    return max(5, round(FULL_UNITS * scale(quick)))


def scale_note(quick: bool) -> str:
    n = units(quick)
    return f"{n:,} units × {PROJECTS} × {INDICATORS} = {n * PROJECTS * INDICATORS:,} indicators"


class Others:
    """CPU used by processes outside this benchmark (and its servers, load generators, database)
    while a measurement runs, in cores: the machine may be shared, and a figure taken while
    something else ran says so in its note. Linux /proc only; elsewhere 0."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.before = _others_jiffies()

    def cores(self) -> float:
        spent = _others_jiffies() - self.before
        return spent / os.sysconf("SC_CLK_TCK") / max(time.monotonic() - self.started, 1e-9)

    def note(self) -> str:
        busy = self.cores()
        return f"; other processes busy {busy:.1f} cores" if busy >= 0.1 else ""


def _others_jiffies() -> int:
    """CPU time (with reaped children's) of processes that are neither ours (this process and its
    descendants) nor our PostgreSQL cluster's (the postmaster on ``BENCH_PG_URL``'s port)."""
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    stats: dict[int, tuple[int, int, str]] = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                raw = fh.read()
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        rest = raw[raw.rfind(")") + 2 :].split()
        # ppid; utime + stime + cutime + cstime
        stats[pid] = (int(rest[1]), sum(int(x) for x in rest[11:15]), cmd)
    mine = {os.getpid(), os.getppid()}  # this process (and the make/shell running it)
    port = pg_url().rsplit(":", 1)[-1].split("/")[0] if pg_url() else None
    if port:
        mine |= {pid for pid, (_, _, cmd) in stats.items() if f"-p {port} " in cmd + " "}
    total = 0
    for pid, (_, jiffies, _) in stats.items():
        p, depth = pid, 0
        while p > 1 and p not in mine and depth < 50:
            p, depth = stats.get(p, (0, 0, ""))[0], depth + 1
        if p not in mine:
            total += jiffies
    return total


# ------------------------------------------------------------------------------ databases

_TMP: Path | None = None


def data_dir() -> Path:
    global _TMP
    kept = os.environ.get("BENCH_DATA_DIR")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
    if _TMP is None:
        _TMP = Path(tempfile.mkdtemp(prefix="jixiao-bench-"))
        atexit.register(shutil.rmtree, _TMP, True)  # gigabytes of scratch databases
    return _TMP


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if pg_url() else ["sqlite"]


def pg_url() -> str | None:
    return os.environ.get("BENCH_PG_URL") or None


def new_database(backend: str, name: str) -> str:
    """An empty database (replacing one of the same name), migrated to head."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app.db.migrate import upgrade_to_head

    if backend == "sqlite":
        path = data_dir() / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        base = make_url(pg_url())
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = base.set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    return url


def use_database(url: str) -> None:
    """Point the app's settings and engine at ``url`` (this process)."""
    from app.core.config import get_settings
    from app.db.session import get_engine, get_sessionmaker

    os.environ["DATABASE_URL"] = url
    with contextlib.suppress(Exception):  # nothing to dispose yet
        get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()


def settle(url: str) -> None:
    """What an operator does after a bulk load, so that a measurement does not pay for the one
    before it: PostgreSQL ``VACUUM ANALYZE`` (else autovacuum runs in the middle of the next
    benchmark, and index-only scans visit the heap), SQLite a WAL checkpoint and ``ANALYZE``."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if url.startswith("postgresql"):
                conn.execute(text("VACUUM ANALYZE"))
            else:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------ the dataset


@dataclass
class Dataset:
    backend: str
    url: str
    units: int
    projects: int
    indicators: int
    import_seconds: float
    load_seconds: float
    import_note: str = ""
    finance_token: str = ""
    entry: list[dict[str, Any]] = field(default_factory=list)  # {project_id, token}


_DATASETS: dict[str, Dataset] = {}


def dataset(backend: str, quick: bool) -> Dataset:
    """The province dataset on ``backend`` (built on first use in this process)."""
    key = f"{backend}:{units(quick)}"
    if key in _DATASETS:
        return _DATASETS[key]
    # BENCH_DATA_DIR (development): reuse a dataset built by an earlier run against the same URL
    marker = data_dir() / f"province-{backend}-{units(quick)}.json"
    kept = json.loads(marker.read_text()) if os.environ.get("BENCH_DATA_DIR") and marker.exists() else None
    if kept and (backend == "sqlite" or kept["url"].rsplit("/", 1)[0] == (pg_url() or "").rsplit("/", 1)[0]):
        ds = Dataset(**kept)
        print(f"# reusing {ds.url}", file=sys.stderr)
    else:
        ds = build_dataset(backend, quick)
        marker.write_text(json.dumps(ds.__dict__))
    _DATASETS[key] = ds
    return ds


def build_dataset(backend: str, quick: bool) -> Dataset:
    from app.db.session import session_scope
    from app.demo.load import DemoSpec, LoadStats, figures_for, tables, write_figures
    from app.demo.render import render_table
    from app.scoring.policies import ensure_default_policies, policy_for_year
    from app.targets.service import import_table, sha256_of

    n_units = units(quick)
    url = new_database(backend, f"jx_bench_{backend}_{n_units}")
    use_database(url)
    spec = DemoSpec(units=n_units, projects=PROJECTS, year=YEAR, indicators=INDICATORS, seed=SEED)
    print(f"# {backend}: generating {scale_note(quick)}", file=sys.stderr)
    generated = [(t, sha256_of(render_table(t, seed=SEED).encode())) for t in tables(spec)]
    with session_scope() as session:
        ensure_default_policies(session=session)
    others = Others()
    started = time.perf_counter()
    for table, digest in generated:
        with session_scope() as session:
            import_table(
                session=session, table=table, source_name=f"{table.units[0].code}.txt", sha256=digest
            )
    import_seconds = time.perf_counter() - started
    import_note = others.note()
    print(f"# {backend}: imported in {import_seconds:.1f} s; loading figures and snapshots", file=sys.stderr)
    started = time.perf_counter()
    with session_scope() as session:
        policy = policy_for_year(session=session, year=YEAR)
    stats = LoadStats()
    for table, _ in generated:
        figures = figures_for(table, seed=SEED, policy=policy)
        with session_scope() as session:
            write_figures(session=session, table=table, figures=figures, stats=stats, policy=policy)
    load_seconds = time.perf_counter() - started
    ds = Dataset(
        backend=backend,
        url=url,
        units=n_units,
        projects=sum(len(t.projects) for t, _ in generated),
        indicators=sum(len(p.indicators) for t, _ in generated for p in t.projects),
        import_seconds=import_seconds,
        load_seconds=load_seconds,
        import_note=import_note,
    )
    del generated
    add_users(ds)
    settle(url)
    print(f"# {backend}: dataset ready ({load_seconds:.1f} s for figures and snapshots)", file=sys.stderr)
    return ds


def add_users(ds: Dataset) -> None:
    """A finance API client, and ``ENTRY_PROJECTS`` editable projects of 26 indicators, each in
    its own unit with a department user holding a write token (benchmark e)."""
    from sqlalchemy import select

    from app.accounts.service import create_token, create_user
    from app.db.models import Project, Unit
    from app.db.session import session_scope
    from app.demo.load import DemoSpec, tables
    from app.targets.service import import_table

    spec = DemoSpec(
        units=ENTRY_PROJECTS, projects=1, year=YEAR + 1, indicators=ENTRY_INDICATORS, seed=SEED + 1
    )
    with session_scope() as session:
        finance = create_user(
            session=session, actor="bench", username="bench_finance", password="x", role="finance",
            check_password=False,
        )  # fmt: skip
        ds.finance_token = create_token(session=session, actor="bench", user=finance, scope="read").plaintext
    for table in tables(spec):
        with session_scope() as session:
            import_table(session=session, table=table, source_name="entry.txt", sha256="e" * 64)
    with session_scope() as session:
        rows = session.execute(
            select(Project.id, Unit.code)
            .join(Unit, Unit.id == Project.unit_id)
            .where(Project.year == YEAR + 1)
        ).all()
        for pid, code in rows:
            user = create_user(
                session=session, actor="bench", username=f"bench_dept_{code}", password="x",
                role="department", unit_codes=[code], check_password=False,
            )  # fmt: skip
            token = create_token(session=session, actor="bench", user=user, scope="write").plaintext
            ds.entry.append({"project_id": pid, "token": token})


# ------------------------------------------------------------------------------ servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``uvicorn app.main:create_app`` with ``workers`` processes on a loopback port."""

    def __init__(self, url: str, workers: int) -> None:
        self.workers = workers
        self.settled_at: float | None = None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "JIXIAO_ENV": "production",
            "SECRET_KEY": uuid.uuid4().hex,
        }
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
                "--log-level", "warning", "--no-access-log",
                "--timeout-keep-alive", "30",  # as behind nginx's upstream keepalive: no idle-close race
            ],
            cwd=ROOT, env=env,
        )  # fmt: skip

    def __enter__(self) -> Server:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("uvicorn exited")
            try:
                if (
                    httpx.get(f"{self.base}/api/v1/summaries", timeout=2).status_code == 401
                    and self._all_up()
                ):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("uvicorn did not start")

    def _all_up(self) -> bool:
        """Every worker process started and past its imports: the first to answer would otherwise
        accept most of the load's keep-alive connections and keep them for the whole run."""
        if self.workers == 1:
            return True
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as fh:
                children = fh.read().split()
        except OSError:  # not Linux: give them time
            children = []
        if len(children) < self.workers:
            return False
        if self.settled_at is None:
            self.settled_at = time.monotonic()
        return time.monotonic() - self.settled_at > 3  # ≈ what a worker takes to import the app

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# d and e: 50 concurrent clients; PostgreSQL with 4 uvicorn workers, SQLite with 1.
CONCURRENCY = 50
WORKERS = {"postgresql": 4, "sqlite": 1}


def served(quick: bool) -> Iterator[tuple[str, Dataset, Server]]:
    """Each database's province dataset, settled, behind its server (stopped after each)."""
    for backend in backends():
        ds = dataset(backend, quick)
        settle(ds.url)
        with Server(ds.url, WORKERS[backend]) as server:
            yield backend, ds, server


def run_load(**kwargs: Any) -> dict[str, Any]:
    """Run ``benchmarks.loadgen`` in a second process; its JSON result."""
    spec = json.dumps(kwargs)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen", spec],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=kwargs.get("seconds", 60) + 120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)
