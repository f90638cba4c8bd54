"""Settings from the environment (DATABASE_URL, SECRET_KEY, JIXIAO_ENV, JIXIAO_REQUEST_SLOTS).

Pattern from full-stack-fastapi-template: one typed settings object. A server in production
mode refuses to start with a weak ``SECRET_KEY`` (``secret_key_problem``, checked by
``app.core.preflight`` when the application is built).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SECRET = "change-me-in-production"
MIN_SECRET_BYTES = 32  # the session cookie and the CSRF tokens are HMACs with this key


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = Field(
        default="development", validation_alias="JIXIAO_ENV"
    )
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'jixiao.db'}", validation_alias="DATABASE_URL"
    )
    secret_key: str = Field(default=DEFAULT_SECRET, validation_alias="SECRET_KEY")
    # Requests handled at once by one worker process (app/core/admission.py); the others wait.
    request_slots: int = Field(default=4, ge=1, le=64, validation_alias="JIXIAO_REQUEST_SLOTS")
    # Where `make run` loads seed tables from when the database is empty.
    seeds_dir: Path = Field(default=PROJECT_ROOT / "seeds", validation_alias="JIXIAO_SEEDS_DIR")

    # Send Strict-Transport-Security: only when every visitor reaches the site over https.
    https: bool = Field(default=False, validation_alias="JIXIAO_HTTPS")

    def secret_key_problem(self) -> str | None:
        """Why ``SECRET_KEY`` is unfit for production (empty, the default, or too short), or None."""
        key = self.secret_key or ""
        if not key.strip():
            return "SECRET_KEY 为空"
        if key == DEFAULT_SECRET:
            return "SECRET_KEY 仍是默认值"
        if len(key.encode()) < MIN_SECRET_BYTES:
            return f"SECRET_KEY 太短（{len(key.encode())} 字节，至少 {MIN_SECRET_BYTES} 字节）"
        return None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
