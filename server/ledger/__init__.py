"""The ledger: an append-only RFC 9162 log in the database, with stored Merkle nodes."""
