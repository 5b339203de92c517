"""The service layer: plain functions and classes over the database and the ledger,
returning plain data. The JSON API and the staff pages both call these."""
