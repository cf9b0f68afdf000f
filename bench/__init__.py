"""quizapp's benchmarks: figures, each compared with a reference measured in the same run.

On a shared two-core machine absolute times drift from run to run; the ratio of a figure to a
reference measured alongside it (a bare loop, a database with one learner) drifts much less,
so targets are set on ratios. Benchmarks report figures: nothing in CI times them.

Run them with ``make bench`` or ``python -m bench``; how to add one is in ``bench/__main__.py``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A bound on a result's ratio to its reference."""

    bound: float
    at_most: bool = True

    def met_by(self, ratio: float) -> bool:
        return ratio <= self.bound if self.at_most else ratio >= self.bound

    def __str__(self) -> str:
        return f"{'≤' if self.at_most else '≥'} {self.bound:g}"


def at_most(bound: float) -> Target:
    return Target(bound, at_most=True)


def at_least(bound: float) -> Target:
    return Target(bound, at_most=False)


@dataclass(frozen=True)
class Result:
    """One figure of a benchmark, with the reference it is compared to.

    ``reference`` is in the same unit as ``figure``, so ``ratio`` is figure / reference: for a
    throughput, above 1 is faster than the reference; for a time, below 1 is.
    """

    name: str
    figure: float
    unit: str
    reference: float | None = None
    reference_name: str = ""
    target: Target | None = None
    notes: str = ""
    details: str = ""  # longer text for docs/benchmarks.md (query plans, sizes)

    @property
    def ratio(self) -> float | None:
        if self.reference is None or self.reference == 0:
            return None
        return self.figure / self.reference

    @property
    def met(self) -> bool | None:
        """Whether the ratio meets the target; None when there is no target or no ratio."""
        ratio = self.ratio
        if self.target is None or ratio is None:
            return None
        return self.target.met_by(ratio)


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)
