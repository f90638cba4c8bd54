"""docs/deploy.md's first-installation steps, followed as written: ``jixiao`` subprocesses in a
temporary directory on a temporary SQLite database, then the production server.

The steps leave no demo account, the production server refuses ``admin/demo`` and accepts the
password given to ``jixiao user add``; it refuses to start with a weak ``SECRET_KEY`` and while a
demo account still has the demo password.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.core.config import DEFAULT_SECRET, PROJECT_ROOT
from tests.conftest import free_port

BIN = Path(sys.executable).parent
ADMIN_PASSWORD = "Kreis-Finanz-2026!"


def guide_commands() -> list[list[str]]:
    """The ``jixiao …`` lines of the first shell block under "## PostgreSQL" in docs/deploy.md."""
    text = (PROJECT_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = text.split("\n## PostgreSQL", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("jixiao "):
            commands.append(shlex.split(line))
    return commands


@pytest.fixture
def shell(tmp_path):
    """A shell without JIXIAO_ENV or SECRET_KEY, on a fresh SQLite database in ``tmp_path``."""
    base = {k: v for k, v in os.environ.items() if k not in ("JIXIAO_ENV", "SECRET_KEY", "DATABASE_URL")}
    base["DATABASE_URL"] = f"sqlite:///{tmp_path / 'jixiao.db'}"

    def run(argv: list[str], *, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 120):
        exe = str(BIN / argv[0]) if (BIN / argv[0]).exists() else argv[0]
        return subprocess.run(
            [exe, *argv[1:]], input=stdin, capture_output=True, text=True, cwd=tmp_path,
            env={**base, **(env or {})}, timeout=timeout,
        )  # fmt: skip

    return run


@contextmanager
def _serving(shell_env: dict[str, str], tmp_path: Path, base: dict[str, str]) -> Iterator[str]:
    """``jixiao serve`` as the guide starts it, up and answering; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [str(BIN / "jixiao"), "serve", "--port", str(port)]
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env={**base, **shell_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _wait_up(url: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read()}")
        try:
            httpx.get(url + "/login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("server did not start")


def _token(url: str, username: str, password: str) -> httpx.Response:
    return httpx.post(url + "/api/v1/token", data={"username": username, "password": password}, timeout=10)


def test_the_guide_leaves_no_demo_account_and_a_server_that_refuses_weak_secrets(shell, tmp_path):
    commands = guide_commands()
    assert [c[:2] for c in commands] == [["jixiao", "db"], ["jixiao", "seed"], ["jixiao", "user"]]
    for argv in commands:
        result = shell(argv, stdin=ADMIN_PASSWORD + "\n")
        assert result.returncode == 0, (argv, result.stdout, result.stderr)

    env = {k: v for k, v in os.environ.items() if k not in ("JIXIAO_ENV", "SECRET_KEY")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'jixiao.db'}"
    strong = {"JIXIAO_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48)}

    with _serving(strong, tmp_path, env) as url:
        assert _token(url, "admin", "demo").status_code == 401
        for name in ("finance", "dept"):
            assert _token(url, name, "demo").status_code == 401
        answer = _token(url, "admin", ADMIN_PASSWORD)
        assert answer.status_code == 200, answer.text

    for weak in ("", "a", DEFAULT_SECRET, "x" * 31):
        prod = {"JIXIAO_ENV": "production", "SECRET_KEY": weak}
        refused = shell(["jixiao", "serve", "--port", str(free_port())], env=prod, timeout=60)
        assert refused.returncode == 2, (weak, refused.stdout, refused.stderr)
        assert "生产模式拒绝启动" in refused.stderr and "SECRET_KEY" in refused.stderr
    # the systemd unit's command: uvicorn itself exits with an error too
    direct = shell(
        ["uvicorn", "app.main:create_app", "--factory", "--port", str(free_port())],
        env={"JIXIAO_ENV": "production", "SECRET_KEY": "a"},
        timeout=60,
    )
    assert direct.returncode != 0 and "SECRET_KEY" in direct.stdout + direct.stderr

    # a database that was tried out with the demo accounts: production refuses until they are gone
    demo = shell(["jixiao", "seed", "--demo"])
    assert demo.returncode == 0, demo.stderr
    refused = shell(["jixiao", "serve", "--port", str(free_port())], env=strong, timeout=60)
    assert refused.returncode == 2 and "finance" in refused.stderr and "dept" in refused.stderr
    assert "admin" not in refused.stderr.split("演示账号", 1)[1].split("仍使用", 1)[0]
    for name in ("finance", "dept"):
        assert shell(["jixiao", "user", "disable", name]).returncode == 0
    with _serving(strong, tmp_path, env) as url:
        assert _token(url, "dept", "demo").status_code == 401


def test_seed_without_demo_creates_no_account_and_demo_is_refused_in_production(shell):
    assert shell(["jixiao", "db", "upgrade"]).returncode == 0
    assert shell(["jixiao", "seed", "--if-empty"]).returncode == 0
    listed = shell(["jixiao", "user", "list"])
    assert "还没有用户" in listed.stdout
    refused = shell(["jixiao", "seed", "--demo"], env={"JIXIAO_ENV": "production"})
    assert refused.returncode == 1 and "开发模式" in refused.stderr
