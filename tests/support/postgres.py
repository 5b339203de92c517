"""The tests' PostgreSQL fixtures over :mod:`simsa.pgcluster` (a throwaway cluster).

Register the fixtures in a conftest with ``from tests.support.postgres import pg_cluster, pg_db``.
"""

from __future__ import annotations

import os
import pwd
import shutil
from collections.abc import Iterator

import pytest

from simsa.pgcluster import PgCluster, find_bin_dir, start_cluster

__all__ = ["PgCluster", "find_bin_dir", "pg_cluster", "pg_db", "start_cluster"]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One PostgreSQL cluster for the whole session (skipped when the binaries are absent)."""
    if find_bin_dir() is None:
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql; make test does it)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root but there is no postgres user to run initdb as")
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.data_dir.parent, ignore_errors=True)


@pytest.fixture
def pg_db(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh database for one test; yields its ``postgresql://`` URL."""
    name = pg_cluster.create_database()
    try:
        yield pg_cluster.url(name)
    finally:
        pg_cluster.drop_database(name)
