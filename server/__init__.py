"""The ledger server: FastAPI over SQLAlchemy Core, SQLite by default, PostgreSQL at scale.

``server.app.create_app(settings)`` builds the application; ``simsa server`` runs it.
"""
