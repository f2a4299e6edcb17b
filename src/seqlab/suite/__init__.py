"""The evidence suite (``seqlab run``): profiles, the runs they need, evidence, report."""

from seqlab.suite.profiles import PROFILES, Profile
from seqlab.suite.run import run_suite

__all__ = ["PROFILES", "Profile", "run_suite"]
