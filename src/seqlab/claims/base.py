"""A claim: a statement, the rule that decides it, and the verdict computed from evidence.

Each claim module defines ``CLAIM = Claim(id, title, statement, rule)`` and a pure function
``decide(evidence) -> Decision``. A statement with several parts ("an LSTM keeps it *and* an
RNN drifts") is decided part by part: ``decide`` builds one ``Part`` per clause, each with its
own verdict and numbers, and ``from_parts`` combines them -- supported only if every part is
supported, refuted if any part is refuted, inconclusive otherwise.

The evidence is what this run measured (numbers with intervals, see ``seqlab.claims.stats``);
nothing about a verdict is fixed in advance: feed other numbers and the verdict changes (the
tests do exactly that).

A claim whose experiment broke (its evidence builder or rule raised, or one of its training
runs failed) gets no verdict: its entry says ``"verdict": "error"`` with the ``error`` text,
and ``seqlab run`` exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

VERDICTS = ("supported", "refuted", "inconclusive")
ERROR = "error"  # in place of a verdict: the experiment broke, nothing was decided


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    statement: str
    rule: str


@dataclass(frozen=True)
class Part:
    """One clause of a claim's statement, decided on its own numbers."""

    name: str  # the clause, e.g. "the RNN drifts at long distances"
    verdict: str
    reason: str  # the numbers that decided it

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    def to_dict(self) -> dict:
        return {"part": self.name, "verdict": self.verdict, "reason": self.reason}


@dataclass(frozen=True)
class Decision:
    """The verdict, the sentence that explains it from the numbers, and the parts it rests on."""

    verdict: str
    reason: str
    parts: tuple[Part, ...] = ()

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


def combine(verdicts: list[str] | tuple[str, ...]) -> str:
    """All supported -> supported; any refuted -> refuted; else (and for none) inconclusive."""
    if verdicts and all(v == "supported" for v in verdicts):
        return "supported"
    if any(v == "refuted" for v in verdicts):
        return "refuted"
    return "inconclusive"


def from_parts(*parts: Part) -> Decision:
    """The claim's decision from its parts (``combine``); the reason lists every part."""
    verdict = combine([p.verdict for p in parts])
    reason = "; ".join(f"{p.name}: {p.verdict} ({p.reason})" for p in parts)
    return Decision(verdict, reason, tuple(parts))


@dataclass
class ClaimResult:
    claim: Claim
    decision: Decision
    evidence: dict
    figure: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "id": self.claim.id,
            "title": self.claim.title,
            "statement": self.claim.statement,
            "verdict": self.decision.verdict,
            "rule": self.claim.rule,
            "reason": self.decision.reason,
            "parts": [p.to_dict() for p in self.decision.parts],
            "evidence": self.evidence,
            "figure": self.figure,
            **self.extra,
        }


def error_entry(claim: Claim, error: str) -> dict:
    """A claim's results entry when its experiment broke: no verdict, no evidence."""
    first = (error.strip().splitlines() or ["unknown error"])[-1]
    return {
        "id": claim.id,
        "title": claim.title,
        "statement": claim.statement,
        "verdict": ERROR,
        "rule": claim.rule,
        "reason": f"no verdict: the experiment failed ({first})",
        "error": error,
        "evidence": {},
        "figure": None,
    }


def fmt(est: dict) -> str:
    """``0.912 [0.894, 0.929]`` for an interval estimate."""
    return f"{est['mean']:.3g} [{est['lo']:.3g}, {est['hi']:.3g}]"


def supported(reason: str) -> Decision:
    return Decision("supported", reason)


def refuted(reason: str) -> Decision:
    return Decision("refuted", reason)


def inconclusive(reason: str) -> Decision:
    return Decision("inconclusive", reason)
