"""``simsa witness``: a C2SP tlog-witness that cosigns consistent checkpoints of simsa ledgers."""
