"""E-mails about access requests, through the outbox (one row per e-mail, deduplicated, sent after
commit). Called inside the transaction of the change; nothing is sent if it rolls back."""

from __future__ import annotations

from django.urls import reverse

from hmis_onboarding.notifications import (
    Delivery,
    NotificationKind,
    absolute_url,
    notification_enqueue,
    register_notification_kind,
)
from hmis_onboarding.permissions import Role

from .models import AccessRequest, Queue, RequestStatus

REQUEST_UPDATES = register_notification_kind(
    NotificationKind(
        key="access_request_update",
        label="Access request updates",
        description="When a request you filed is answered, needs information, or is decided.",
        audience=frozenset({Role.ATA, Role.HELP_DESK, Role.CE_TEAM}),
        default_delivery=Delivery.IMMEDIATE,
    )
)
ONBOARDING_STARTED = register_notification_kind(
    NotificationKind(
        key="onboarding_started",
        label="Your HMIS access was approved",
        description="Sent to each person when the request for their HMIS access is approved.",
        audience=frozenset({Role.AGENCY_USER}),
        security=True,  # carries the link to set a password: always immediate
    )
)


def _link(req: AccessRequest) -> str:
    return absolute_url(reverse("request_detail", args=[req.continuum.slug, req.pk]))


def _send(
    req: AccessRequest,
    *,
    event: str,
    subject: str,
    headline: str,
    lines: list[str],
    recipient=None,
    to_email: str = "",
    key_suffix: str = "",
) -> None:
    who = recipient.pk if recipient is not None else to_email
    notification_enqueue(
        continuum=req.continuum,
        kind=REQUEST_UPDATES.key,
        dedupe_key=f"access_request:{req.pk}:{event}:{who}{key_suffix}",
        subject=subject,
        template="access_request_update",
        context={"headline": headline, "lines": lines, "link": _link(req), "req": req},
        recipient=recipient,
        to_email=to_email,
    )


def _team_inbox(req: AccessRequest) -> str:
    return req.continuum.ce_team_email if req.queue == Queue.CE_TEAM else req.continuum.help_desk_email


def request_submitted(req: AccessRequest) -> None:
    people = ", ".join(p.full_name for p in req.people.all())
    subject = f"Request #{req.pk} submitted: {req.request_type.short_name} — {req.agency.name}"
    _send(
        req,
        event="submitted",
        subject=subject,
        recipient=req.submitted_by,
        headline="Your access request was submitted",
        lines=[
            f"For: {people}.",
            f"The {Queue(req.queue).label} reviews it; its target date is {req.sla_due_on:%B %-d, %Y}."
            if req.sla_due_on
            else "",
        ],
    )
    inbox = _team_inbox(req)
    if inbox:
        _send(
            req,
            event="submitted",
            subject=f"New in the queue: {subject}",
            to_email=inbox,
            headline="A new access request is waiting",
            lines=[f"{req.agency.name}: {people}."],
        )


def info_requested(req: AccessRequest, question: str) -> None:
    count = req.messages.count()
    _send(
        req,
        event="info_requested",
        key_suffix=f":{count}",
        recipient=req.submitted_by,
        subject=f"More information needed for request #{req.pk} ({req.agency.name})",
        headline="The reviewers need more information",
        lines=[question, "Answer on the request page; the review continues as soon as you do."],
    )


def info_answered(req: AccessRequest) -> None:
    count = req.messages.count()
    if req.assignee_id:
        recipient, to_email = req.assignee, ""
    else:
        recipient, to_email = None, _team_inbox(req)
    if recipient is None and not to_email:
        return
    _send(
        req,
        event="answered",
        key_suffix=f":{count}",
        recipient=recipient,
        to_email=to_email,
        subject=f"The ATA answered on request #{req.pk} ({req.agency.name})",
        headline="The ATA answered your question",
        lines=["The request is back in review."],
    )


OUTCOME_TEXT = {
    RequestStatus.APPROVED: ("approved", "Each person will receive an e-mail with their next steps."),
    RequestStatus.REJECTED: ("rejected", ""),
    RequestStatus.RETURNED: (
        "returned: please resubmit it through the correct form",
        "You can re-file it in one click on the request page; its data is kept.",
    ),
}


def decided(req: AccessRequest) -> None:
    outcome, extra = OUTCOME_TEXT[req.status]
    lines = [extra] if extra else []
    if req.decision_reason:
        lines.insert(0, req.decision_reason)
    if req.correct_type_id:
        lines.append(f"The correct form: {req.correct_type.name}.")
    _send(
        req,
        event=req.status,
        recipient=req.submitted_by,
        subject=f"Request #{req.pk} {outcome.split(':')[0]} ({req.agency.name})",
        headline=f"Your access request was {outcome}",
        lines=lines,
    )
    if req.status == RequestStatus.APPROVED:
        for person in req.people.select_related("user"):
            onboarding_started(req, person)


def onboarding_started(req: AccessRequest, person) -> None:
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    user = person.user
    lines = [
        f"{req.agency.name} asked for HMIS access for you in {req.continuum.name}, and it was approved.",
        "Your next steps — your LMS account, your courses and what comes after — are on your page.",
    ]
    link = absolute_url(reverse("tenant_home", args=[req.continuum.slug]))
    if not user.has_usable_password():
        key = default_token_generator.make_token(user)
        link = absolute_url(
            reverse(
                "account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key}
            )
        )
        lines.append("First choose a password with the link below (it works for a few days).")
    notification_enqueue(
        continuum=req.continuum,
        kind=ONBOARDING_STARTED.key,
        dedupe_key=f"access_request:{req.pk}:onboarding:{user.pk}",
        subject=f"Your HMIS access request was approved — {req.continuum.name}",
        template="access_request_update",
        context={
            "headline": "Welcome: your HMIS onboarding has started",
            "lines": lines,
            "link": link,
            "req": req,
        },
        recipient=user,
    )
