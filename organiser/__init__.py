"""Organiser tools: build an event (demo or from CSV), seal credentials, print cards."""
