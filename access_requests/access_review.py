"""Access review (identity-governance practice, beyond the seeds): periodically each agency's ATA
certifies, person by person, that their people still need their HMIS access. "No longer needs it"
revokes at once and frees the license; at the due date unanswered items escalate to the Help Desk
and the agency's leads; after the grace period they are suspended."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency, Continuum
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability, Role
from hmis_onboarding.tenancy import access_for

from . import credential_notify as notify
from .credential_config import policy_for
from .credentials import _audit, _change_status
from .models import (
    AccessReview,
    AccessReviewItem,
    HmisAccount,
    HmisAccountStatus,
    ReviewDecision,
)
from .services import RequestConflict


def _today(continuum: Continuum) -> datetime.date:
    return timezone.now().astimezone(continuum.tzinfo).date()


def access_review_open(*, continuum: Continuum, actor: User) -> list[AccessReview]:
    """Start a review for every agency with active accounts and no open review (idempotent)."""
    if not access_for(continuum, actor).can(Capability.ISSUE_CREDENTIALS):
        raise PermissionDenied("Only the HMIS Help Desk opens access reviews.")
    policy = policy_for(continuum)
    today = _today(continuum)
    opened: list[AccessReview] = []
    agency_ids = (
        HmisAccount.objects.filter(continuum=continuum, status=HmisAccountStatus.ACTIVE)
        .values_list("agency_id", flat=True)
        .distinct()
    )
    for agency in Agency.objects.filter(pk__in=list(agency_ids)).order_by("name"):
        try:
            with transaction.atomic():
                Agency.objects.select_for_update().get(pk=agency.pk)
                if AccessReview.objects.filter(agency=agency, closed_at__isnull=True).exists():
                    continue
                due = today + datetime.timedelta(days=policy.access_review_days)
                review = AccessReview.objects.create(
                    continuum=continuum,
                    agency=agency,
                    opened_by=actor,
                    opened_at=timezone.now(),
                    due_on=due,
                    suspend_on=due + datetime.timedelta(days=policy.access_review_grace_days),
                )
                accounts = HmisAccount.objects.filter(agency=agency, status=HmisAccountStatus.ACTIVE)
                AccessReviewItem.objects.bulk_create(
                    [AccessReviewItem(review=review, account=a) for a in accounts]
                )
                _audit(review, continuum, actor, "access_review.opened", items=len(accounts), due_on=due)
                notify.send(
                    continuum=continuum,
                    key=f"access_review:{review.pk}:opened",
                    subject=f"Access review: confirm who at {agency.name} still needs HMIS access",
                    headline="Please review your agency's HMIS access",
                    subtitle=agency.name,
                    lines=[
                        f"{len(accounts)} account(s) to certify by {due:%B %-d, %Y}.",
                        f"Unanswered accounts are suspended on {review.suspend_on:%B %-d, %Y}.",
                    ],
                    recipients=notify.agency_leads(agency, [Role.ATA]),
                    link=notify.absolute_url_for("access_reviews", continuum),
                )
                opened.append(review)
        except IntegrityError:
            continue
    return opened


def access_review_decide(*, item: AccessReviewItem, actor: User, decision: str) -> AccessReviewItem:
    review = item.review
    access = access_for(review.continuum, actor)
    if Role.ATA not in access.roles_in_agency(review.agency_id):
        raise PermissionDenied("The agency's ATA certifies its people's access.")
    if decision not in (ReviewDecision.KEEP, ReviewDecision.REMOVE):
        raise ValidationError("Choose whether the person still needs access.")
    with transaction.atomic():
        locked = (
            AccessReviewItem.objects.select_for_update().select_related("review", "account").get(pk=item.pk)
        )
        if locked.review.closed_at is not None:
            raise RequestConflict("This access review is closed.")
        if locked.decision:
            raise RequestConflict("This person was already answered for.")
        locked.decision, locked.decided_by, locked.decided_at = decision, actor, timezone.now()
        locked.save(update_fields=["decision", "decided_by", "decided_at"])
        _audit(locked, review.continuum, actor, "access_review.decided", decision=decision)
        if decision == ReviewDecision.REMOVE and locked.account.status != HmisAccountStatus.REVOKED:
            _change_status(
                locked.account,
                actor,
                HmisAccountStatus.REVOKED,
                "Access review: no longer needs access",
                "hmis_account.revoked",
                notify_lines=["The ATA certified that this access is no longer needed; the license is free."],
            )
        _close_if_done(locked.review)
    return locked


def _close_if_done(review: AccessReview) -> None:
    if not review.items.filter(decision="").exists():
        AccessReview.objects.filter(pk=review.pk, closed_at__isnull=True).update(closed_at=timezone.now())


def access_review_sweep(*, continuum: Continuum, today: datetime.date | None = None) -> dict[str, int]:
    """Escalate reviews past their due date (once); suspend unanswered accounts after the grace."""
    today = today or _today(continuum)
    counts = {"escalated": 0, "suspended": 0}
    open_reviews = AccessReview.objects.filter(continuum=continuum, closed_at__isnull=True).select_related(
        "agency"
    )
    for review in open_reviews.filter(due_on__lt=today, escalated_at__isnull=True):
        with transaction.atomic():
            # The conditional update claims the escalation, so two sweeps never escalate twice.
            if not AccessReview.objects.filter(pk=review.pk, escalated_at__isnull=True).update(
                escalated_at=timezone.now()
            ):
                continue
            pending = review.items.filter(decision="").count()
            _audit(review, continuum, None, "access_review.escalated", pending=pending)
            notify.send(
                continuum=continuum,
                key=f"access_review:{review.pk}:escalated",
                subject=f"Access review overdue: {review.agency.name}",
                headline="An access review is overdue",
                subtitle=review.agency.name,
                lines=[
                    f"{pending} account(s) are not certified yet.",
                    f"They are suspended on {review.suspend_on:%B %-d, %Y} unless the ATA answers.",
                ],
                recipients=notify.agency_leads(review.agency),
                to_email=continuum.help_desk_email,
                link=notify.absolute_url_for("access_reviews", continuum),
            )
            counts["escalated"] += 1
    for review in open_reviews.filter(suspend_on__lt=today):
        for item in review.items.filter(decision="").select_related("account"):
            with transaction.atomic():
                if not AccessReviewItem.objects.filter(pk=item.pk, decision="").update(
                    decision=ReviewDecision.LAPSED, decided_at=timezone.now()
                ):
                    continue
                if item.account.status == HmisAccountStatus.ACTIVE:
                    _change_status(
                        item.account,
                        None,
                        HmisAccountStatus.SUSPENDED,
                        "Access review not answered in time",
                        "hmis_account.suspended",
                        notify_lines=[
                            "The ATA did not certify this access in time; a new request restores it."
                        ],
                    )
                    counts["suspended"] += 1
        _close_if_done(review)
    return counts
