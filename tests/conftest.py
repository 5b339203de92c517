"""Fixtures shared by the whole suite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.manifest import Manifest, verify_signed_manifest
from tests.support.events import EventFiles, make_mini_event

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

#: A test that asks for one of these fixtures, or whose module uses one of these names, starts
#: a real process (server, PostgreSQL, Chromium, Xvfb): it is marked ``live`` and stays out of
#: ``make check``'s fast lane (``-m "not (live or slow or browser or gui or postgres)"``).
LIVE_FIXTURES = frozenset({"live_server", "server", "fresh_server", "pg_cluster", "pg_db", "pg_template", "browser", "big_display"})
LIVE_NAMES = frozenset({"start_server", "start_cluster", "start_witness", "sync_playwright", "FaultProxy", "make_witness"})

#: In-process tests that take seconds each (argon2 logins by the dozen, camera frames, long
#: Hypothesis runs): ``slow`` too, so ``make check`` stays under a minute. ``make test`` runs them.
SLOW_UNITS = frozenset({
    "tests/server/test_limits.py::test_a_rotating_x_forwarded_for_does_not_bypass_the_address_limit",
    "tests/server/test_limits.py::test_a_stranger_cannot_lock_out_a_staff_member",
    "tests/server/test_staff.py::test_login_is_throttled_after_five_wrong_passwords",
    "tests/server/test_staff.py::test_disable_ends_every_session_at_once_and_enable_lets_the_member_back",
    "tests/server/test_staff.py::test_login_logout_and_cookie_sessions",
    "tests/server/test_staff.py::test_a_new_password_ends_the_sessions_and_replaces_the_old_one",
    "tests/server/test_staff.py::test_every_staff_route_refuses_strangers",
    "tests/server/test_staff.py::test_a_login_racing_a_disable_makes_no_session",
    "tests/server/test_fuzz_text.py::test_random_text_inside_right_bodies_is_never_a_5xx",
    "tests/server/test_settings.py::test_migrations_create_exactly_the_schema",
    "tests/organiser/test_cards.py::test_a_whole_sheet_at_print_resolution_reads_one_code_per_card",
    "tests/organiser/test_cards.py::test_every_card_scans_from_30_cm_with_the_kiosk_scanner",
    "tests/organiser/test_cards.py::test_codes_are_version_8_or_less_and_print_large_enough",
    "tests/kiosk/test_scan_budget.py::test_no_wrong_text_and_no_loss_against_zxing_on_both_corpora",
    "tests/kiosk/test_scanner.py::test_never_a_wrong_text_on_camera_frames",
    "tests/kiosk/test_scanner.py::test_pyzbar_ladder_alone_reads_every_venue_trouble",
    "tests/kiosk/test_scanner.py::test_reads_every_venue_trouble",
    "tests/shared/test_replay_fast.py::test_record_hash_of_is_record_hash",
    "tests/shared/test_encoding_fast.py::test_parse_canonical_agrees_with_its_definition",
    "tests/shared/test_encoding_fast.py::test_jcs_equals_the_reference_implementation",
    "tests/audit/test_unreachable.py::test_a_server_that_is_not_there",
    "tests/audit/test_tamper.py::test_tampering_is_caught_and_named",
    "tests/audit/test_entry_text.py::test_unreadable_text_is_named_by_its_entry",
    "tests/shared/test_wire.py::test_signed_ballot_reader_agrees_with_oracle",
    "tests/shared/test_wire.py::test_record_reader_agrees_with_oracle",
    "tests/shared/test_wire.py::test_batch_reader_agrees_with_oracle",
    "tests/shared/test_wire.py::test_ballot_entry_reader_agrees_with_oracle",
    "tests/shared/test_scrypt.py::test_rfc_7914_known_answers",  # 2^20 takes 1 GiB and ~2.5 s
})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        uses = set(getattr(item, "fixturenames", ()))
        if uses & LIVE_FIXTURES or (module is not None and LIVE_NAMES & set(vars(module))):
            item.add_marker(pytest.mark.live)
        if item.nodeid.split("[", 1)[0] in SLOW_UNITS:
            item.add_marker(pytest.mark.slow)
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the longest modules first
        _heaviest_modules_first(items)


#: Rough seconds a test costs by its markers, to hand the longest modules out first under
#: pytest-xdist (``--dist loadscope --no-loadscope-reorder``), so no worker starts a long
#: module last while the others wait. Within a module, and among equals, the order stays
#: pytest-randomly's.
WEIGHTS = {"gui": 30.0, "browser": 5.0, "live": 4.0, "slow": 4.0, "postgres": 0.5}

#: The modules that took ≥ 10 s in a ``make test`` run (seconds from its first test's start
#: to its last one's end, -n 4, 2026-12-03), used instead of the markers' guess: the guess
#: put the Hypothesis-heavy test_wire and the rush benchmark (no markers) among the last,
#: and a fresh clone's run ended on them for ~20 s while three workers had nothing to do.
#: Only the order depends on it. A module missing here (under 10 s, or new) falls back to its
#: markers' guess, at most 9 s.
MEASURED_SECONDS = {
    "tests/kiosk/test_layout.py": 123,
    "tests/deploy/test_rehearse.py": 46,
    "tests/kiosk/test_gui.py": 43,
    "tests/web/test_pages_tablet.py": 40,
    "tests/organiser/test_demo.py": 38,
    "tests/web/test_dashboard.py": 36,
    "tests/deploy/test_backup.py": 35,
    "tests/server/test_workers.py": 27,
    "tests/shared/test_wire.py": 26,
    "tests/server/test_staff.py": 25,
    "tests/server/test_processes.py": 24,
    "tests/server/test_accounting.py": 21,
    "tests/organiser/test_cards.py": 21,
    "tests/simsa/test_demo.py": 21,
    "tests/web/test_receipts.py": 20,
    "tests/server/test_abuse.py": 19,
    "tests/server/test_batches.py": 17,
    "tests/kiosk/test_scanner.py": 17,
    "tests/organiser/test_kdf.py": 17,
    "tests/server/test_fuzz_text.py": 17,
    "tests/kiosk/test_sync_live.py": 15,
    "tests/shared/test_encoding_fast.py": 14,
    "tests/bench/test_rush.py": 14,
    "tests/web/test_accounting_pages.py": 13,
    "tests/server/test_audit.py": 12,
    "tests/deploy/test_kiosk_provision.py": 10,
}


def _heaviest_modules_first(items: list[pytest.Item]) -> None:
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def weight(module: str) -> float:
        if module in MEASURED_SECONDS:
            return MEASURED_SECONDS[module]
        group = modules[module]
        return min(9.0, sum(max((WEIGHTS.get(m.name, 0.0) for m in i.iter_markers()), default=0.05) for i in group))

    items[:] = [i for module in sorted(modules, key=weight, reverse=True) for i in modules[module]]


@pytest.fixture(scope="session", autouse=True)
def _test_strength_password_hashes() -> Iterator[None]:
    """Staff passwords made in the suite's processes are argon2id at test strength (1 MiB, one
    pass) — as Django's test settings swap their hasher: a login costs ~1 ms instead of ~0.2 s
    of a core, and the suite logs in hundreds of times. A hash carries its parameters, so a
    server in a subprocess verifies these at the same low cost, and still makes its own at full
    strength (tests/server/test_staff.py checks that strength in a fresh process)."""
    from argon2 import PasswordHasher

    from server.services import staff

    with pytest.MonkeyPatch.context() as m:
        m.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="session")
def mini_event(tmp_path_factory: pytest.TempPathFactory) -> EventFiles:
    """A generated ``mini`` event folder, shared read-only by the session."""
    return make_mini_event(tmp_path_factory.mktemp("mini-event"))


@pytest.fixture(scope="session")
def mini_manifest(mini_event: EventFiles) -> Manifest:
    return verify_signed_manifest(json.loads(mini_event.manifest_path.read_text()))


@pytest.fixture(scope="session")
def artifacts_dir() -> Iterator[Path]:
    """Where tests keep screenshots and other artefacts (``artifacts/`` at the repo root)."""
    ARTIFACTS.mkdir(exist_ok=True)
    yield ARTIFACTS


# Server helpers (tests/support/live.py, tests/support/postgres.py): a real `simsa server`
# subprocess and a throwaway PostgreSQL cluster, for every area's tests.
from tests.support.live import live_server  # noqa: E402, F401
from tests.support.postgres import pg_cluster, pg_db  # noqa: E402, F401
