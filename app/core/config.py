"""Settings from the environment (DATABASE_URL, SECRET_KEY, JIXIAO_ENV, JIXIAO_REQUEST_SLOTS).

Pattern from full-stack-fastapi-template: one typed settings object; production refuses the
default secret key.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SECRET = "change-me-in-production"


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

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("生产模式下必须设置 SECRET_KEY（不能使用默认密钥）")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
