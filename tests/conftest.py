"""Test fixtures: a real database (SQLite file by default, PostgreSQL when TEST_DATABASE_URL says so).

- ``database_url``: one migrated database for the session (``alembic upgrade head``).
- ``db``: a session whose work is rolled back after each test (SAVEPOINT pattern).
- ``fresh_database_url``: a brand-new empty database for tests that commit or run the CLI.
- ``client``: FastAPI ``TestClient`` bound to the ``db`` session.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
_TMP = Path(tempfile.mkdtemp(prefix="jixiao-test-"))
os.environ.setdefault("JIXIAO_ENV", "test")
os.environ.setdefault("SECRET_KEY", "test-secret-key")

# Property tests: no per-example time limit (CI machines are shared and slow at times); the
# number of examples stays as each test sets it.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("jixiao", deadline=None)
_hypothesis_settings.load_profile("jixiao")

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "menyuan-emergency-2023.txt"


# The inner loop (`make test-fast`) leaves out what needs a browser, a live server, a fuzzer or
# a concurrency run; `make test` runs everything.
SLOW_FIXTURES = frozenset({"browser", "page", "live_server"})
SLOW_FILE_ENDINGS = ("_fuzz.py", "_pg.py", "_browser.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (
            SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
            or item.path.name.endswith(SLOW_FILE_ENDINGS)
            or item.get_closest_marker("browser")
        ):
            item.add_marker(pytest.mark.slow)


def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


def _create_database() -> str:
    """Make an empty database and return its URL."""
    if not is_postgres():
        return f"sqlite:///{_TMP / f'{uuid.uuid4().hex}.db'}"
    url = make_url(TEST_DATABASE_URL)
    name = f"jx_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(db_url: str) -> None:
    if not is_postgres():
        Path(make_url(db_url).database).unlink(missing_ok=True)
        return
    url = make_url(db_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def _use_database(url: str) -> None:
    """Point settings, engine caches and subprocesses at ``url``."""
    from app.core.config import get_settings
    from app.db.session import get_engine, get_sessionmaker

    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    from app.db.migrate import upgrade_to_head

    url = _create_database()
    upgrade_to_head(url)
    _use_database(url)
    yield url
    from app.db.session import get_engine

    get_engine().dispose()
    _drop_database(url)


@pytest.fixture
def fresh_database_url(database_url: str) -> Iterator[str]:
    """An empty, un-migrated database; settings point at it for the test's duration."""
    url = _create_database()
    _use_database(url)
    try:
        yield url
    finally:
        from app.db.session import get_engine

        get_engine().dispose()
        _use_database(database_url)
        _drop_database(url)


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    from app.db.session import get_engine

    connection = get_engine().connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def app(db: Session):
    from app.db.deps import finish_with_response, get_session
    from app.main import create_app

    application = create_app()

    def _session(request: Request) -> Iterator[Session]:
        """The test's session, each request in a savepoint finished like the real boundary: an
        error response (or an exception) rolls the request's writes back."""
        savepoint = db.begin_nested()

        def finish(ok: bool) -> None:
            if savepoint.is_active:
                savepoint.commit() if ok else savepoint.rollback()

        try:
            yield db
            db.flush()
        except BaseException:
            finish(False)
            raise
        if not finish_with_response(request, finish):
            finish(True)

    application.dependency_overrides[get_session] = _session
    return application


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


# ---------------------------------------------------------------- live server and headless browser


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(fresh_database_url: str) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, over a fresh migrated database.

    Data the test needs is committed through ``app.db.session.session_scope()`` (settings point at
    the fresh database for the test's duration).
    """
    import threading
    import time

    import uvicorn

    from app.db.migrate import upgrade_to_head
    from app.main import create_app

    upgrade_to_head(fresh_database_url)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright. Skipped locally without Chromium; in CI
    (``CI`` set) a missing browser is a failure, never a silent skip."""
    import shutil

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
