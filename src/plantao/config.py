"""Settings from ``PLANTAO_*`` environment variables.

The defaults make ``make run`` work on a laptop; outside ``dev`` the secret key must be set,
because signed links and sessions would otherwise be forgeable by anyone who read this file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused outside dev below


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLANTAO_", extra="ignore", hide_input_in_errors=True
    )

    env: Literal["dev", "test", "production"] = "dev"
    database_url: str = "sqlite:///./plantao.db"
    secret_key: str = DEV_SECRET
    base_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    log_json: bool = True
    intake_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    db_pool_size: int = Field(default=10, ge=1)
    language: Literal["en", "pt-BR"] = "en"
    engine_in_serve: bool = True
    # Runbooks: the library directory (None: the pack shipped with Plantão), whether guarded
    # executable steps may run at all, and what a step's process gets to see.
    runbooks_dir: Path | None = None
    runbooks_execution: bool = True
    runbooks_workdir: Path | None = None
    runbooks_env_allow: str = "PATH,LANG,HOME"
    runbooks_approval_minutes: int = Field(default=30, ge=1)
    runbooks_reload_seconds: float = Field(default=5.0, ge=0)
    # Notifications (plantao.notify): the SMTP relay, delivery limits, templates, action links.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_starttls: bool | None = None  # None: upgrade when offered; True: require; False: never
    smtp_tls: bool = False  # implicit TLS (port 465)
    smtp_from: str = "plantao@localhost"
    # One engine transaction applies at most this many accepted intake requests / alerts, so
    # escalation timers keep their schedule while a storm is applied.
    inbox_batch_requests: int = Field(default=200, ge=1, le=10_000)
    inbox_batch_alerts: int = Field(default=2000, ge=1, le=100_000)
    delivery_concurrency: int = Field(default=32, ge=1, le=1000)
    delivery_timeout_seconds: float = Field(default=10.0, gt=0)
    delivery_lease_seconds: float = Field(default=60.0, gt=0)
    delivery_max_attempts: int = Field(default=8, ge=1)
    delivery_backoff_base_seconds: float = Field(default=30.0, gt=0)
    delivery_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    action_link_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    notify_template_dir: Path | None = None

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == "production" and self.secret_key == DEV_SECRET:
            raise ValueError(
                "PLANTAO_SECRET_KEY must be set to a random value when PLANTAO_ENV=production"
            )
        if self.env == "production" and len(self.secret_key) < 32:
            raise ValueError("PLANTAO_SECRET_KEY must be at least 32 characters in production")
        if self.delivery_lease_seconds <= self.delivery_timeout_seconds:
            raise ValueError(
                "PLANTAO_DELIVERY_LEASE_SECONDS must exceed PLANTAO_DELIVERY_TIMEOUT_SECONDS"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
