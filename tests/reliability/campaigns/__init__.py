"""Fault campaigns: every transfer run through crashes, stops, remote and AWS faults, then compared
with a fault-free run of the same data.

A campaign counts what a person would care about: records that should be in the target but are in
neither the target nor the register of open failures (lost), and records the target holds more
than once (duplicated). ``make test`` runs each campaign small; ``make soak`` runs them large and
prints the table (``python -m tests.reliability.campaigns.soak``).
"""
