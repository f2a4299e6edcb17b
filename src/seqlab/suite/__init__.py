"""The evidence suite (``seqlab run``): plan the claims' runs, train them, decide, report."""

from seqlab.claims.profiles import PROFILES, Profile
from seqlab.suite.run import run_suite

__all__ = ["PROFILES", "Profile", "run_suite"]
