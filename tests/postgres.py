"""Where tests find the PostgreSQL database they may use.

`scripts/test` starts a throwaway PostgreSQL and exports its SQLAlchemy URL as
RUMBO_TEST_POSTGRES_URL. Tests that need PostgreSQL do::

    from tests.postgres import require_postgres

    url = require_postgres()
    if url is None:
        pytest.skip("RUMBO_TEST_POSTGRES_URL is not set")

On CI (the CI environment variable is set) a missing URL is an error rather
than a skip, so PostgreSQL tests can never be skipped silently there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from storage.db import make_engine

ENV_VAR = "RUMBO_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    """The test PostgreSQL URL (postgresql+psycopg://...), or None if there is none."""
    return os.environ.get(ENV_VAR) or None


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_postgres() -> str | None:
    """The test PostgreSQL URL; None (so the caller can skip) only off CI.

    Raises RuntimeError on CI when no URL is available.
    """
    url = postgres_url()
    if url is None and _on_ci():
        raise RuntimeError(
            f"{ENV_VAR} is not set but CI is: PostgreSQL tests must not be skipped on CI "
            "(run the suite through scripts/test, which starts a throwaway PostgreSQL)"
        )
    return url


@contextmanager
def own_schema(url: str, prefix: str) -> Iterator[tuple[str, str]]:
    """A new, empty schema on the PostgreSQL at `url`, dropped afterwards: yields the URL
    whose connections see it first, and its name."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}?options=-csearch_path%3D{schema}", schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
