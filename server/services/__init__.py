"""The service layer: functions over the database and the ledger that speak the domain —
they return frozen dataclasses and raise :mod:`server.services.errors` — never HTTP. The JSON
API, the staff pages and the CLI all call these (docs/ARCHITECTURE.md, "The server's
layers")."""
