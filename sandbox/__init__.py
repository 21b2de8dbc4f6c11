"""Local stand-ins for the systems the integration talks to: AWS (moto), Severa, Netvisor.

Nothing here ships to Lambda. Tests, ``make demo`` and ``make invoke`` use it.
"""
