"""The meeting point with the training app: is this person's learning path complete?

The training app registers a check (`register_learning_path_check`) that answers for a person in a
CoC: True (complete), False (not yet) or None (it does not know them). A Help Desk member may also
record "training confirmed complete" on the person's onboarding (who and when are kept), which counts
whatever the checks say — the LMS export is sometimes late, and the seeds let the Help Desk decide.
"""

from __future__ import annotations

from collections.abc import Callable

from agencies.models import Continuum
from hmis_onboarding.models import User

LearningPathCheck = Callable[[Continuum, User], "bool | None"]

_CHECKS: list[LearningPathCheck] = []


def register_learning_path_check(check: LearningPathCheck) -> LearningPathCheck:
    """Usable as a decorator. Registering the same function twice keeps one entry."""
    if check not in _CHECKS:
        _CHECKS.append(check)
    return check


def unregister_learning_path_check(check: LearningPathCheck) -> None:
    if check in _CHECKS:
        _CHECKS.remove(check)


def learning_path_complete(continuum: Continuum, user: User) -> bool:
    answers = [check(continuum, user) for check in _CHECKS]
    return any(answer is True for answer in answers) and not any(answer is False for answer in answers)


def person_ready_for_sample_client(continuum: Continuum, user: User) -> bool:
    """True when a staff member confirmed the training, or the learning path reports it complete."""
    from .models import Onboarding, OnboardingStage

    confirmed = Onboarding.objects.filter(
        continuum=continuum, user=user, training_confirmed_at__isnull=False
    ).exclude(stage=OnboardingStage.CLOSED)
    return confirmed.exists() or learning_path_complete(continuum, user)


def training_learning_path(continuum: Continuum, user: User) -> bool | None:
    """The training app's answer: the computed learning path is complete and its courses are recent
    enough (DESIGN §3: project course within 3 months, intro and data management within 6); None
    when the person has no learning path in this CoC."""
    from training.selectors import learning_path_result

    result = learning_path_result(continuum, user)
    if result is None:
        return None
    return result.is_complete and not result.recency_problems
