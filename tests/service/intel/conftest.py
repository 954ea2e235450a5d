"""A small synthetic case load (500 cases, 10 planted series) in a real, migrated SQLite file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from service.core.config import Settings
from service.core.db import make_engine, make_session_factory
from service.core.security import configure_hasher, hash_password
from service.intel.data import CaseLoad, load_case_load
from service.intel.scope import Scope
from service.intel.synthetic import SyntheticTruth, generate
from service.migrations.runner import upgrade_head
from service.models import User

PASSWORD = "intel-test-password-0123"
SEED = 2  # this seed plants firearm-only links as well as hit links


@dataclass
class Load:
    url: str
    root: Path
    settings: Settings
    truth: SyntheticTruth
    data: CaseLoad
    session_factory: object

    def scope(self, username: str, **overrides) -> Scope:
        with self.session_factory() as s:
            user = s.scalar(select(User).where(User.username == username))
            scope = Scope.for_user(s, self.settings, user)
        if overrides:
            scope = Scope(**{**scope.__dict__, **overrides})
        return scope


def make_intel_settings(url: str, root: Path) -> Settings:
    return Settings(
        database_url=url, store_dir=root / "store", upload_dir=root / "uploads", jwt_secret="intel-test-secret-0123456789abcdef0123",
        argon2_time_cost=1, argon2_memory_kib=8192, argon2_parallelism=1, job_workers=1,
    )


@pytest.fixture(scope="session")
def load(tmp_path_factory) -> Load:
    root = tmp_path_factory.mktemp("intel")
    url = f"sqlite:///{root / 'synthetic.db'}"
    engine = make_engine(url)
    upgrade_head(engine)
    configure_hasher(time_cost=1, memory_kib=8192, parallelism=1)
    factory = make_session_factory(engine)
    with factory() as s:
        truth = generate(s, n_cases=500, seed=SEED, n_series=10, password_hash=hash_password(PASSWORD))
    with factory() as s:
        data = load_case_load(s)
    yield Load(url, root, make_intel_settings(url, root), truth, data, factory)
    engine.dispose()
