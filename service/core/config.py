"""Settings read from ``BALLISTICS_*`` environment variables."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Service configuration.

    Every field can be set from the environment with the ``BALLISTICS_`` prefix,
    e.g. ``BALLISTICS_DATABASE_URL=postgresql+psycopg2://...``.
    ``jwt_secret`` is required unless ``demo`` is on: a production service must
    never sign tokens with a secret anybody could read in the source.
    """

    model_config = SettingsConfigDict(env_prefix="BALLISTICS_", extra="ignore")

    database_url: str = "sqlite:///var/ballistics.db"
    store_dir: Path = Path("var/store")
    upload_dir: Path = Path("var/uploads")
    jwt_secret: SecretStr | None = None
    jwt_algorithm: str = "HS256"
    # Access tokens are short-lived; a refresh token (revocable, stored hashed) renews them.
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    # Sign-in throttling: this many failures within the window lock the account (until an
    # administrator lifts it, or the lockout passes) or throttle the address.
    login_window_minutes: int = 15
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    lockout_minutes: int = 30
    log_level: str = "INFO"
    # One JSON object per log line (with the request id); off for a human at a terminal.
    log_json: bool = True
    demo: bool = False
    # Correlation runs are CPU-bound; more workers than cores only adds contention.
    # 0: this process only queues runs and `ballistics worker` processes execute them.
    job_workers: int = Field(2, ge=0)
    # A worker renews the lease of a run it executes every third of this; a run whose
    # lease ran out (its worker died) is claimed again, up to job_max_attempts times.
    job_lease_s: float = Field(30.0, gt=0)
    # Idle workers look for queued runs this often (a run queued in the same process wakes them at once).
    job_poll_s: float = Field(1.0, gt=0)
    job_max_attempts: int = Field(3, ge=1)
    # Address of a Dask scheduler (e.g. tcp://10.0.0.5:8786): correlation searches run on its
    # workers, which must see the signature store at the same path. Unset: in the worker process.
    dask_scheduler: str | None = None
    max_upload_bytes: int = 256 * 1024 * 1024
    run_top_k: int = 10
    # A run flags a hit when its best candidate's log10 likelihood ratio reaches this.
    hit_log10_lr: float = 2.0
    # Law Enforcement Directive: how long personal data on people are kept by default
    # before a retention run removes them (the ballistic facts stay).
    person_retention_days: int = 5 * 365
    # Turnaround targets from submission to the first finished search (NABIS: 24 to 48
    # hours for urgent cases).
    urgent_turnaround_hours: int = 48
    routine_turnaround_hours: int = 30 * 24
    # argon2id cost (RFC 9106's second recommended option by default).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4

    @model_validator(mode="after")
    def _secret_needed_outside_demo(self) -> "Settings":
        if self.jwt_secret is None or not self.jwt_secret.get_secret_value():
            if not self.demo:
                raise ValueError(
                    "BALLISTICS_JWT_SECRET must be set (only demo mode may run without one)"
                )
            # Demo tokens die with the process, which is what a demo wants.
            self.jwt_secret = SecretStr(secrets.token_urlsafe(32))
        return self

    @property
    def secret(self) -> str:
        assert self.jwt_secret is not None
        return self.jwt_secret.get_secret_value()
