"""Questions a learner may not study for the moment, by rules of the apps that use study.

A learner taking a quiz must not find its answers on the flashcards of the same questions. That
rule belongs to the quizzes app, which study may not import (dependencies point one way), so
such apps register their rule here when Django starts (`QuizzesConfig.ready`). Every read that
shows a learner a question's answer (the queue, deck counts, sync, practice, the source
reader's highlights) leaves out what `withheld_questions` names, in the same SQL query.
"""

from collections.abc import Callable
from datetime import datetime

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from quizapp.bank.models import Question

WithholdingRule = Callable[..., QuerySet]
"""Called as ``rule(user=..., now=...)``; returns a ``values()`` queryset of one column, the
ids of the questions it withholds."""

_rules: list[WithholdingRule] = []


def withholding_rule_register(rule: WithholdingRule) -> None:
    """Add a rule (idempotent: registering the same function twice adds it once)."""
    if rule not in _rules:
        _rules.append(rule)


def withheld_questions(*, user, now: datetime) -> QuerySet | None:
    """The ids of the questions withheld from `user` at `now`, as a subquery for
    ``.exclude(question__in=...)``; None when no rule applies (no user, or no rules)."""
    if user is None or not user.is_authenticated or not _rules:
        return None
    subqueries = [rule(user=user, now=now) for rule in _rules]
    if len(subqueries) == 1:
        return subqueries[0]
    union = Q()
    for subquery in subqueries:
        union |= Q(pk__in=subquery)
    return Question.objects.filter(union).values("pk")


def withheld_questions_compiled(*, user, now: datetime) -> RawSQL | None:
    """`withheld_questions` compiled to SQL once, for a read that leaves it out of several
    queries (the queue: three): each then pays nothing more than the anti-join itself,
    where building and compiling the rule anew would cost more than the queries' SQL."""
    withheld = withheld_questions(user=user, now=now)
    return None if withheld is None else RawSQL(*withheld.order_by().query.sql_with_params())
