"""Subcommands of ``simsa``. Each module defines ``register(subparsers)`` and keeps its
top-level imports light: heavy libraries are imported inside the handler."""
