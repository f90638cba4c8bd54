"""``jixiao user``, ``jixiao token`` and ``jixiao audit`` against a fresh database."""

from __future__ import annotations

import io
import json

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.db.migrate import upgrade_to_head


@pytest.fixture
def cli(fresh_database_url, monkeypatch, capsys):
    upgrade_to_head(fresh_database_url)

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_user_add_list_disable(cli):
    code, out, _ = cli(
        "user", "add", "Alice", "--role", "department", "--unit", "309001", stdin="s3cret-pass\n"
    )
    assert code == 0 and "已新建用户 alice" in out and "309001" in out
    assert cli("user", "add", "root", "--role", "admin", stdin="another-pass\n")[0] == 0
    code, out, _ = cli("user", "list")
    assert code == 0 and "alice" in out and "root" in out and "预算部门" in out and "全部" in out
    code, _, err = cli("user", "add", "alice", "--role", "admin", stdin="whatever-pass\n")
    assert code == 1 and "已存在" in err
    code, _, err = cli("user", "add", "bob", "--role", "department", stdin="long-enough-1\n")
    assert code == 1 and "至少需要一个单位编码" in err
    code, _, err = cli("user", "add", "carol", "--role", "finance", stdin="short\n")
    assert code == 1 and "密码至少 10 个字符" in err
    code, _, err = cli("user", "add", "dave", "--role", "finance")
    assert code == 1 and "标准输入" in err
    assert cli("user", "disable", "ALICE")[0] == 0
    assert "已停用" in cli("user", "list")[1]
    code, _, err = cli("user", "disable", "nobody")
    assert code == 1 and "不存在" in err


def test_token_create_is_shown_once_works_and_revokes(cli):
    from app.main import create_app

    cli("user", "add", "script", "--role", "finance", stdin="s3cret-pass\n")
    code, out, err = cli("token", "create", "script", "--scope", "read", "--name", "汇总脚本")
    assert code == 0
    token = out.strip()
    assert token.startswith("jx_") and len(out.splitlines()) == 1  # stdout: the token alone
    assert "只显示这一次" in err
    client = TestClient(create_app())
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["scope"] == "read" and me.json()["role"] == "finance"
    code, out, _ = cli("token", "list")
    assert code == 0 and token[:10] in out and token not in out and "汇总脚本" in out
    token_id = out.splitlines()[1].split("\t")[0]
    assert cli("token", "revoke", token_id)[0] == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    code, _, err = cli("token", "revoke", "9999")
    assert code == 1 and "令牌不存在" in err
    code, _, err = cli("token", "create", "nobody")
    assert code == 1 and "不存在" in err


def test_audit_command_lists_and_filters(cli):
    cli("user", "add", "alice", "--role", "department", "--unit", "309", stdin="s3cret-pass\n")
    cli("user", "disable", "alice")
    code, out, _ = cli("audit")
    assert code == 0
    lines = out.splitlines()
    assert "停用用户" in lines[0] and "启用: 是 → 否" in lines[0]  # newest first
    assert "新增用户" in lines[1] and "单位编码: 309" in lines[1]
    code, out, _ = cli("audit", "--action", "user.create", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["action"] for r in rows] == ["user.create"]
    assert rows[0]["after"]["username"] == "alice" and rows[0]["before"] is None
    assert rows[0]["actor"].startswith("cli")
    assert cli("audit", "--user", "nobody")[1].strip() == "没有符合条件的审计记录。"
    code, _, err = cli("audit", "--since", "yesterday")
    assert code == 1 and "YYYY-MM-DD" in err


def test_demo_command_refuses_outside_development(cli):
    code, _, err = cli("user", "demo")  # the suite runs with JIXIAO_ENV=test
    assert code == 1 and "开发模式" in err


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("carol", "nine-char", "密码至少 10 个字符"),
        ("carol", "password", "密码至少 10 个字符"),
        ("carol", "Password123", "太常见"),
        ("carol", "QWERTYUIOP", "太常见"),
        ("woaini", "woaini1314520", "太常见"),
        ("carol-finance", "Carol-Finance", "不能与用户名相同"),
    ],
)
def test_user_add_refuses_weak_passwords(cli, name, password, message):
    code, _, err = cli("user", "add", name, "--role", "finance", stdin=password + "\n")
    assert code == 1 and message in err
    assert "还没有用户" in cli("user", "list")[1]


def test_password_reset_applies_the_policy_and_revokes_api_tokens(cli):
    from app.main import create_app

    cli("user", "add", "script", "--role", "finance", stdin="s3cret-pass\n")
    code, out, _ = cli("token", "create", "script", "--scope", "write")
    token = out.strip()
    client = TestClient(create_app())
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    code, _, err = cli("user", "password", "script", stdin="password1234\n")
    assert code == 1 and "太常见" in err
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # a refused reset changes nothing
    code, out, _ = cli("user", "password", "script", stdin="a-new-long-secret\n")
    assert code == 0 and "令牌已吊销" in out
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    code, out, _ = cli("audit", "--action", "user.password", "--json")
    assert json.loads(out.splitlines()[0])["after"]["tokens_revoked"] == 1
