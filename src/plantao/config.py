"""Settings from ``PLANTAO_*`` environment variables.

The defaults make ``make run`` work on a laptop without any shared secret: when
``PLANTAO_SECRET_KEY`` is not set, the installation's own random signing key is generated in its
database on first use (``plantao.auth.keyring``). A configured key is checked here and a weak or
publicly known one stops the process, because sessions and signed action links would otherwise
be forgeable by anyone who read the same documentation.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32
# SHA-256 of values seen in documentation, examples and earlier releases (the old development
# default among them): refused whatever their length. Kept as digests so that nobody copies them.
_KNOWN_SECRET_DIGESTS = frozenset(
    {
        "65795ca3364794b8d8afefb7ff3eb15124d8b4915016632385b931687e425af8",
        "e2186dbdb1bb4193608605e84f33208765b5693b55edd4f730a719a100eeea6f",
        "057ba03d6c44104863dc7361fe4578965d1887360f90a0895882e58a6248fc86",
        "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b",
        "39f03013c8a4002771e786533e9596bb64c2ff5819946b4792cef38280d1cbd2",
        "048af2438891a89a3536ac09cc96ccbd34a1714e88cf8fdb63e6186dcc3ff89d",
        "2d7cd44979bcf9b2fb17ef596dafa84d68d5db1446f6df75e2a70d3ee03b4dde",
        "00810cf8b94d6fcb9c5de484d3bec4187620b3e2876e59aab90d852fe0f18fb6",
        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
    }
)


def weak_secret_reason(value: str) -> str | None:
    """Why a configured signing key is unacceptable, or None. Never echoes the value."""
    if hashlib.sha256(value.strip().lower().encode()).hexdigest() in _KNOWN_SECRET_DIGESTS:
        return "it is a publicly known value"
    if len(value) < MIN_SECRET_LENGTH:
        return f"it is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(value)) < 10:
        return "it repeats too few distinct characters to be random"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLANTAO_", extra="ignore", hide_input_in_errors=True
    )

    env: Literal["dev", "test", "production"] = "dev"
    database_url: str = "sqlite:///./plantao.db"
    # None: the installation's random key kept in the database (plantao secret rotate).
    secret_key: str | None = Field(default=None, repr=False)
    # Keys that still verify (not sign) after an operator rotated PLANTAO_SECRET_KEY by hand.
    # Comma-separated.
    secret_key_previous: str = Field(default="", repr=False)
    # Bodies of every route but intake (which has its own limit) are refused above this size
    # before any byte of them is read.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Web sessions live in the database: idle and absolute lifetimes.
    session_idle_minutes: int = Field(default=120, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    # How often open live-update streams re-check their sessions (logout everywhere and
    # expiry cut streams within this delay).
    live_session_check_seconds: float = Field(default=60.0, ge=0.5, le=3600)
    base_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    log_json: bool = True
    intake_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    db_pool_size: int = Field(default=10, ge=1)
    language: Literal["en", "pt-BR"] = "en"
    engine_in_serve: bool = True
    # Where the status page's rendered snapshots are also kept as files, so a web process serves
    # them while the database is down (None: beside a SQLite database, else ./status-snapshots).
    status_snapshot_dir: Path | None = None
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
    # --- Single sign-on (OpenID Connect; plantao.web.sso_pages, docs/people.md) -------------
    # Unset issuer: no SSO button, password login only. The issuer must equal the provider's
    # discovery document's `issuer` exactly.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = Field(default=None, repr=False)
    oidc_scopes: str = "openid profile email groups"
    # The id_token claims holding the person's groups and their preferred user name.
    oidc_groups_claim: str = "groups"
    oidc_handle_claim: str = "preferred_username"
    # Registered at the provider; None: PLANTAO_BASE_URL + /login/sso/callback.
    oidc_redirect_uri: str | None = None
    # --- end of single sign-on -----------------------------------------------------------------
    # --- Limits on abusive clients (plantao.api.ratelimit; docs/security-limits.md) ----------
    # A limit is "COUNT/PERIOD", PERIOD in s, m or h: "600/1m", "30/10m". Counters are per
    # process: with `serve --workers N` a client gets up to N times each budget.
    rate_limit_enabled: bool = True
    # Intake per integration key (per address on /v2/*, whose key is in the body): above what
    # one process can accept, so a storm is never refused by default; lower it for fairness.
    rate_limit_intake_per_key: str = Field(default="300000/1m", pattern=r"^\d+/\d*[smh]$")
    # Failed attempts (unknown key, token or link) per client address before 429.
    rate_limit_intake_failures_per_ip: str = Field(default="30/10m", pattern=r"^\d+/\d*[smh]$")
    rate_limit_link_failures_per_ip: str = Field(default="30/10m", pattern=r"^\d+/\d*[smh]$")
    rate_limit_api_failures_per_ip: str = Field(default="30/10m", pattern=r"^\d+/\d*[smh]$")
    rate_limit_login_failures_per_ip: str = Field(default="10/15m", pattern=r"^\d+/\d*[smh]$")
    rate_limit_login_per_ip: str = Field(default="30/1m", pattern=r"^\d+/\d*[smh]$")
    # Every other route per client address, and /api per bearer token.
    rate_limit_per_ip: str = Field(default="3000/1m", pattern=r"^\d+/\d*[smh]$")
    rate_limit_per_token: str = Field(default="3000/1m", pattern=r"^\d+/\d*[smh]$")
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDR networks).
    # Loopback by default, as uvicorn already did: a proxy on the same host is the usual setup.
    trusted_proxies: str = "127.0.0.1/32,::1/128"
    # A request body must arrive within this many seconds of the first read, or 408.
    body_read_timeout_seconds: float = Field(default=30.0, gt=0)
    # `plantao serve`: a connection whose request line and headers take longer than this is
    # closed (uvicorn has no such timeout), and an idle keep-alive connection after this.
    header_read_timeout_seconds: float = Field(default=10.0, gt=0)
    http_keep_alive_seconds: int = Field(default=5, ge=1)
    # --- end of limits on abusive clients ----------------------------------------------------

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Settings:
        configured = [("PLANTAO_SECRET_KEY", self.secret_key)] if self.secret_key else []
        configured += [("PLANTAO_SECRET_KEY_PREVIOUS", v) for v in self.previous_secret_keys]
        for name, value in configured:
            reason = weak_secret_reason(value)
            if reason is not None:
                raise ValueError(
                    f"{name} is refused: {reason}. Unset it to let Plantão keep a random key "
                    "in its database, or set it from `python3 -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`"
                )
        if self.delivery_lease_seconds <= self.delivery_timeout_seconds:
            raise ValueError(
                "PLANTAO_DELIVERY_LEASE_SECONDS must exceed PLANTAO_DELIVERY_TIMEOUT_SECONDS"
            )
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_client_secret):
            raise ValueError(
                "PLANTAO_OIDC_ISSUER is set: PLANTAO_OIDC_CLIENT_ID and PLANTAO_OIDC_CLIENT_SECRET "
                "are needed too"
            )
        return self

    @property
    def oidc_callback_url(self) -> str:
        """Where the provider sends the browser back after login (the registered redirect URI)."""
        return self.oidc_redirect_uri or self.base_url.rstrip("/") + "/login/sso/callback"

    @property
    def previous_secret_keys(self) -> list[str]:
        return [v.strip() for v in self.secret_key_previous.split(",") if v.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
