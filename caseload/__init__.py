"""caseload: check client-officer workload and plan how to rebalance it."""

__version__ = "0.1.0"
