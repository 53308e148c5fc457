"""Debrief metrics: what each pair achieved, how it got there, and what the class did.

Pure mathematics, no Django. Every formula and edge-case rule is written down in docs/debrief.md; keep
the two together. Conventions:

- Role A is the scenario's first role, B the second; d_A, d_B are their BATNAs.
- Points are exact. Work is done on the ScoringTable's scaled integers and results are returned as
  Fractions (``as_json`` turns them into plain JSON numbers with ``core.spec.plain``). Only the
  Euclidean distances and the correlation, which need a square root, are floats.
- An impasse (no agreement) is scored at the BATNAs: the point (d_A, d_B).
- "q weakly dominates p" means q_A >= p_A and q_B >= p_B; "q dominates p" means that and q != p.

Build one ``Landscape`` per scenario (it holds the frontier, the distribution of outcomes and the
per-issue facts) and pass it to every function of this package: a class debrief reuses it for every pair.

Modules: ``landscape`` (the scenario), ``outcome`` (a pair's agreement), ``process`` (its events and
price), ``classwide`` (a pair's full result and the class), ``perception`` (a student's guess of the
partner's priorities).
"""

from __future__ import annotations

from core.metrics.classwide import (
    ClassMetrics,
    Distribution,
    PairResult,
    Regression,
    class_metrics,
    debrief_pair,
    distribution,
    quantile,
    regression,
)
from core.metrics.landscape import (
    ENDINGS,
    Event,
    IssueProfile,
    Landscape,
    Package,
    Point,
    landscape,
)
from core.metrics.outcome import PairOutcome, Suggestion, better_for_both, pair_outcome, wins
from core.metrics.perception import (
    PartnerGuess,
    PerceptionSummary,
    average_ranks,
    partner_guess,
    perception_summary,
    spearman,
    true_ranks,
)
from core.metrics.process import (
    FirstOffer,
    PriceMetrics,
    ProcessMetrics,
    SideProcess,
    price_issue,
    price_metrics,
    process_metrics,
)

__all__ = [
    "ENDINGS",
    "ClassMetrics",
    "Distribution",
    "Event",
    "FirstOffer",
    "IssueProfile",
    "Landscape",
    "Package",
    "PairOutcome",
    "PairResult",
    "PartnerGuess",
    "PerceptionSummary",
    "Point",
    "PriceMetrics",
    "ProcessMetrics",
    "Regression",
    "SideProcess",
    "Suggestion",
    "average_ranks",
    "better_for_both",
    "class_metrics",
    "debrief_pair",
    "distribution",
    "landscape",
    "pair_outcome",
    "partner_guess",
    "perception_summary",
    "price_issue",
    "price_metrics",
    "process_metrics",
    "quantile",
    "regression",
    "spearman",
    "true_ranks",
    "wins",
]
