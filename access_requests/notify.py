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
OUTCOME_FOR_PERSON = register_notification_kind(
    NotificationKind(
        key="access_request_outcome_person",
        label="The request for your HMIS access was not approved or must be re-filed",
        description="Sent to each person named in a request that is rejected or returned for re-filing.",
        audience=frozenset({Role.AGENCY_USER}),
        default_delivery=Delivery.IMMEDIATE,
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
    else:
        for person in req.people.select_related("user"):
            outcome_for_person(req, person)


def outcome_for_person(req: AccessRequest, person) -> None:
    """The person named in a rejected or returned request hears it too, with who to ask: their ATA.
    Someone without an account yet is written to at the address the ATA gave; the request page is
    the agency's, so the link is their home page only when they can sign in."""
    ata = req.submitted_by.full_name or req.submitted_by.email
    if req.status == RequestStatus.REJECTED:
        subject = f"Your HMIS access request was not approved — {req.continuum.name}"
        headline = "The request for your HMIS access was not approved"
        lines = [
            f"{req.agency.name} asked for HMIS access for you in {req.continuum.name}; it was not approved.",
            f"The reason given: {req.decision_reason}" if req.decision_reason else "",
            f"Your agency's technical administrator, {ata}, has been told and can tell you what comes next.",
        ]
    else:
        subject = f"Your HMIS access request is being re-filed — {req.continuum.name}"
        headline = "The request for your HMIS access goes through another form"
        lines = [
            f"{req.agency.name} asked for HMIS access for you in {req.continuum.name}. The request was "
            "filed on a form that does not fit your situation, so it was sent back to be filed on the "
            "right one.",
            f"Nothing is needed from you: {ata}, your agency's technical administrator, re-files it.",
        ]
    user = person.user
    can_sign_in = user is not None and user.is_active and user.has_usable_password()
    notification_enqueue(
        continuum=req.continuum,
        kind=OUTCOME_FOR_PERSON.key,
        dedupe_key=f"access_request:{req.pk}:{req.status}:person:{person.pk}",
        subject=subject,
        template="access_request_update",
        context={
            "headline": headline,
            "lines": lines,
            "link": absolute_url(reverse("tenant_home", args=[req.continuum.slug])) if can_sign_in else "",
            "req": req,
        },
        recipient=user if can_sign_in else None,
        to_email="" if can_sign_in else person.email,
    )


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
