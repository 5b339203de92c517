"""Auditor tools: verify a ledger, export it, and report its results from the ledger alone."""
