"""Password policy: at least ``MIN_PASSWORD_LENGTH`` characters, not the user name, not one of
the common passwords shipped in ``common_passwords.txt`` (compared without regard to case).

Pure: applied by the account service wherever a password is set (``jixiao user add``, a password
change or reset). The demo accounts are the only ones created without it, in development mode.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.core.errors import ErrorItem

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: str, *, username: str = "") -> list[ErrorItem]:
    """What is wrong with ``password`` for the user ``username`` (empty when it may be used)."""
    password = password or ""
    loc = ("password",)
    if len(password) < MIN_PASSWORD_LENGTH:
        return [ErrorItem(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符", "password_too_short", loc)]
    folded = password.strip().casefold()
    if username and folded == username.strip().casefold():
        return [ErrorItem("密码不能与用户名相同", "password_is_username", loc)]
    if folded in common_passwords():
        return [ErrorItem("这个密码太常见，容易被猜中，请换一个", "password_too_common", loc)]
    return []
