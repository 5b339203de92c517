"""Helpers for tests, rehearsals and benchmarks (synthetic frames, the crash-test writer)."""
