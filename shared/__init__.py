"""simsa's pure core: formats, keys, credentials, ballots, chains, Merkle maths, merge, tally.

Nothing in this package does file, network, clock or random I/O that a caller cannot
inject: functions take bytes and values and return values or raise the typed errors of
:mod:`shared.errors`.
"""
