"""Fixtures for the auditor's tests: the mini event's reviewer keys and a ledger of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.keys import SigningKey
from tests.support.events import EventFiles
from tests.support.ledgers import LedgerBuilder, build_mini_ledger, reviewer_keys


@pytest.fixture(scope="session")
def mini_keys(mini_event: EventFiles) -> dict[str, SigningKey]:
    """Every reviewer's key, opened from the real credentials with their PINs."""
    return reviewer_keys(mini_event)


@pytest.fixture(scope="session")
def mini_ledger(mini_event: EventFiles, mini_keys: dict[str, SigningKey]) -> LedgerBuilder:
    """A closed ledger of the mini event with one of every kind of entry (read-only)."""
    return build_mini_ledger(mini_event, mini_keys)


@pytest.fixture(scope="session")
def mini_export(mini_ledger: LedgerBuilder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini ledger written as an export folder (read-only: copy it to change it)."""
    return mini_ledger.write(tmp_path_factory.mktemp("mini-export"))
