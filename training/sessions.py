"""Instructor-led sessions (LA, seed 004): scheduling, registration with a first-come waitlist,
attendance, completion from attendance, and the HMIS 10 Acknowledgement Form.

Writes follow the house pattern: guard → transaction.atomic → select_for_update → save → audit in
the same transaction. Registration locks the session row, so two people racing for the last seat
cannot both get it: the second one lands on the waitlist."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import Continuum, Membership
from hmis_onboarding.audit import audit_record, snapshot
from hmis_onboarding.models import User
from hmis_onboarding.permissions import Capability
from hmis_onboarding.tenancy import access_for

from .models import AcknowledgementSignature, Course, Enrollment, SessionRegistration, TrainingSession
from .session_notify import notify_cancelled, notify_promoted

SESSION_FIELDS = [
    "course_id",
    "starts_at",
    "duration_minutes",
    "capacity",
    "location",
    "webinar_url",
    "trainer_id",
    "is_cancelled",
]
REGISTRATION_FIELDS = ["status", "queued_at", "attendance", "attendance_recorded_at"]

# The course whose attendance opens the Acknowledgement Form (LA catalog code).
ACKNOWLEDGEMENT_COURSE_CODE = "hmis-10"
ACKNOWLEDGEMENT_VERSION = "2026-1"
ACKNOWLEDGEMENT_TEXT = """\
HMIS 10 Acknowledgement Form

By signing, I acknowledge that I attended HMIS 10 and that I understand and will follow what it taught:

1. Client information in HMIS is confidential. I will look at, enter and share it only as my work \
requires and only with people allowed to see it.
2. A client's information is entered only with their informed consent, recorded as the CoC's \
policies require, and a client may not be refused services for declining to share it.
3. My HMIS user name and password are mine alone. I will not share them, write them where others \
can see them, or leave a signed-in session unattended.
4. I will enter data accurately, completely and on time, and correct errors when I find them.
5. I will report a suspected breach of client confidentiality or of system security to my \
agency's administrator and to HMIS Support at once.
6. My access can be suspended or revoked if I do not follow these rules or the User Agreement, \
and it ends when I leave my agency or no longer need it.
"""


def _access_can(continuum: Continuum, actor: User, capability: str) -> bool:
    return access_for(continuum, actor).can(capability)


def _may_register_for(continuum: Continuum, actor: User, person: User) -> bool:
    """The person themselves, staff who manage training, or an ATA of one of the person's agencies."""
    if actor.pk == person.pk:
        return True
    access = access_for(continuum, actor)
    if access.can(Capability.MANAGE_TRAINING):
        return True
    if not access.can(Capability.MANAGE_AGENCY_PEOPLE):
        return False
    return Membership.objects.filter(
        continuum=continuum, user=person, is_active=True, agency_id__in=access.agency_ids
    ).exists()


def _require_manager(continuum: Continuum, actor: User | None) -> None:
    if actor is not None and not _access_can(continuum, actor, Capability.MANAGE_TRAINING):
        raise PermissionDenied("Only the Help Desk and trainers manage sessions.")


# --- Scheduling ---------------------------------------------------------------------------------------
def session_create(
    *,
    continuum: Continuum,
    course: Course,
    starts_at: dt.datetime,
    duration_minutes: int | None,
    capacity: int,
    location: str = "",
    webinar_url: str = "",
    trainer: User | None = None,
    actor: User | None,
    now: dt.datetime | None = None,
) -> TrainingSession:
    _require_manager(continuum, actor)
    now = now or timezone.now()
    if course.continuum_id != continuum.pk:
        raise ValidationError("That course belongs to another Continuum of Care.")
    if course.kind != Course.Kind.INSTRUCTOR_LED:
        raise ValidationError("Only instructor-led courses have sessions.")
    if timezone.is_naive(starts_at):
        raise ValidationError("The start time needs a time zone.")
    if starts_at <= now:
        raise ValidationError("A new session must start in the future.")
    duration = duration_minutes or course.duration_minutes
    if not duration or duration < 15:
        raise ValidationError("Give the session's duration (at least 15 minutes).")
    if capacity < 1:
        raise ValidationError("A session needs at least one seat.")
    if not location.strip() and not webinar_url.strip():
        raise ValidationError("Give a location or a webinar link.")
    if trainer is not None and not access_for(continuum, trainer).can(Capability.MANAGE_TRAINING):
        raise ValidationError("The trainer must be Help Desk staff of this CoC.")
    with transaction.atomic():
        session = TrainingSession.objects.create(
            continuum=continuum,
            course=course,
            starts_at=starts_at,
            duration_minutes=duration,
            capacity=capacity,
            location=location.strip(),
            webinar_url=webinar_url.strip(),
            trainer=trainer,
        )
        audit_record(
            action="training.session_created",
            actor=actor,
            continuum=continuum,
            obj=session,
            after=snapshot(session, SESSION_FIELDS),
        )
    return session


def session_cancel(
    *, session: TrainingSession, reason: str, actor: User, now: dt.datetime | None = None
) -> int:
    """Cancel an upcoming session; everyone with a seat or on its waitlist is told by e-mail (once).
    Their registrations stay as they were, for the record; they may register for another session.
    Returns how many people were told."""
    continuum = session.continuum
    _require_manager(continuum, actor)
    reason = " ".join(reason.split())
    if len(reason) < 3:
        raise ValidationError("Say why the session is cancelled; the people registered will read it.")
    now = now or timezone.now()
    with transaction.atomic():
        session = (
            TrainingSession.objects.select_for_update()
            .select_related("course", "continuum")
            .get(pk=session.pk)
        )
        if session.is_cancelled:
            raise ValidationError("This session is already cancelled.")
        if session.starts_at <= now:
            raise ValidationError("The session has started; it can no longer be cancelled.")
        before = snapshot(session, SESSION_FIELDS)
        session.is_cancelled = True
        session.save(update_fields=["is_cancelled"])
        people = list(
            SessionRegistration.objects.filter(
                session=session,
                status__in=[SessionRegistration.Status.REGISTERED, SessionRegistration.Status.WAITLISTED],
            )
            .select_related("user")
            .order_by("queued_at", "id")
        )
        audit_record(
            action="training.session_cancelled",
            actor=actor,
            continuum=continuum,
            obj=session,
            before=before,
            after=snapshot(session, SESSION_FIELDS),
            metadata={"reason": reason, "people_told": len(people)},
        )
        for registration in people:
            if registration.user.is_active and registration.user.email:
                notify_cancelled(session, registration, reason)
    return len(people)


# --- Registration ---------------------------------------------------------------------------------------
def session_register(
    *, session: TrainingSession, person: User, actor: User, now: dt.datetime | None = None
) -> SessionRegistration:
    """A seat if one is free, else the end of the waitlist."""
    continuum = session.continuum
    if not _may_register_for(continuum, actor, person):
        raise PermissionDenied("You may register yourself or people of your agency.")
    if not access_for(continuum, person).is_member:
        raise ValidationError("That person is not a member of this CoC.")
    now = now or timezone.now()
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get(pk=session.pk)
        if session.is_cancelled:
            raise ValidationError("This session was cancelled.")
        if session.starts_at <= now:
            raise ValidationError("This session has already started; choose a later one.")
        elsewhere = (
            SessionRegistration.objects.filter(
                user=person,
                session__course_id=session.course_id,
                session__is_cancelled=False,
                session__starts_at__gt=now,
                status__in=[SessionRegistration.Status.REGISTERED, SessionRegistration.Status.WAITLISTED],
            )
            .exclude(session=session)
            .exists()
        )
        if elsewhere:
            raise ValidationError("Already registered for another upcoming session of this course.")
        registration = SessionRegistration.objects.filter(session=session, user=person).first()
        if registration is not None and registration.status != SessionRegistration.Status.CANCELLED:
            raise ValidationError(f"Already {registration.get_status_display().lower()} for this session.")
        taken = session.registrations.filter(status=SessionRegistration.Status.REGISTERED).count()
        status = (
            SessionRegistration.Status.REGISTERED
            if taken < session.capacity
            else SessionRegistration.Status.WAITLISTED
        )
        before = snapshot(registration, REGISTRATION_FIELDS) if registration else None
        if registration is None:
            registration = SessionRegistration(continuum=continuum, session=session, user=person)
        registration.status = status
        registration.queued_at = now
        registration.registered_by = actor
        registration.save()
        audit_record(
            action="training.session_registered"
            if status == SessionRegistration.Status.REGISTERED
            else "training.session_waitlisted",
            actor=actor,
            continuum=continuum,
            obj=registration,
            before=before,
            after=snapshot(registration, REGISTRATION_FIELDS),
            metadata={"session": session.pk, "person": person.pk},
        )
    return registration


def registration_cancel(
    *, registration: SessionRegistration, actor: User, now: dt.datetime | None = None
) -> SessionRegistration | None:
    """Cancel a seat or a waitlist place; a freed seat goes to the first person on the waitlist.
    Returns the promoted registration, if any."""
    continuum = registration.continuum
    if not _may_register_for(continuum, actor, registration.user):
        raise PermissionDenied("You may cancel your own registration or those of your agency's people.")
    now = now or timezone.now()
    promoted = None
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get(pk=registration.session_id)
        registration = SessionRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == SessionRegistration.Status.CANCELLED:
            raise ValidationError("This registration is already cancelled.")
        if session.starts_at <= now:
            raise ValidationError("The session has started; attendance is recorded by the trainer.")
        held_seat = registration.status == SessionRegistration.Status.REGISTERED
        before = snapshot(registration, REGISTRATION_FIELDS)
        registration.status = SessionRegistration.Status.CANCELLED
        registration.save(update_fields=["status"])
        audit_record(
            action="training.session_registration_cancelled",
            actor=actor,
            continuum=continuum,
            obj=registration,
            before=before,
            after=snapshot(registration, REGISTRATION_FIELDS),
            metadata={"session": session.pk},
        )
        if held_seat and not session.is_cancelled:
            promoted = (
                SessionRegistration.objects.select_for_update()
                .filter(session=session, status=SessionRegistration.Status.WAITLISTED)
                .order_by("queued_at", "id")
                .first()
            )
            if promoted is not None:
                before = snapshot(promoted, REGISTRATION_FIELDS)
                promoted.status = SessionRegistration.Status.REGISTERED
                promoted.save(update_fields=["status"])
                audit_record(
                    action="training.session_promoted_from_waitlist",
                    actor=None,
                    continuum=continuum,
                    obj=promoted,
                    before=before,
                    after=snapshot(promoted, REGISTRATION_FIELDS),
                    metadata={"session": session.pk, "freed_by": registration.pk},
                )
                notify_promoted(session, promoted)
    return promoted


# --- Attendance -----------------------------------------------------------------------------------------
def attendance_record(
    *,
    registration: SessionRegistration,
    attendance: str,
    actor: User,
    now: dt.datetime | None = None,
) -> SessionRegistration:
    """Present completes the course (through `enrollment_record_progress`, so the path advances)."""
    from .services import enrollment_record_progress

    continuum = registration.continuum
    _require_manager(continuum, actor)
    if attendance not in (SessionRegistration.Attendance.PRESENT, SessionRegistration.Attendance.ABSENT):
        raise ValidationError("Attendance is present or absent.")
    now = now or timezone.now()
    with transaction.atomic():
        session = TrainingSession.objects.select_related("course").get(pk=registration.session_id)
        registration = SessionRegistration.objects.select_for_update().get(pk=registration.pk)
        if session.is_cancelled:
            raise ValidationError("This session was cancelled; there is no attendance to take.")
        if session.starts_at > now:
            raise ValidationError("Attendance is taken once the session has started.")
        if registration.status != SessionRegistration.Status.REGISTERED:
            raise ValidationError("Only people with a seat have attendance.")
        if registration.attendance == attendance:
            return registration
        if registration.attendance == SessionRegistration.Attendance.PRESENT:
            # The course was completed from this attendance; completion is never taken back.
            raise ValidationError("Already recorded present and the course completed.")
        before = snapshot(registration, REGISTRATION_FIELDS)
        registration.attendance = attendance
        registration.attendance_recorded_at = now
        registration.attendance_recorded_by = actor
        registration.save(update_fields=["attendance", "attendance_recorded_at", "attendance_recorded_by"])
        audit_record(
            action="training.session_attendance",
            actor=actor,
            continuum=continuum,
            obj=registration,
            before=before,
            after=snapshot(registration, REGISTRATION_FIELDS),
            metadata={"session": session.pk},
        )
        if attendance == SessionRegistration.Attendance.PRESENT:
            enrollment_record_progress(
                continuum=continuum,
                person=registration.user,
                course=session.course,
                percent=100,
                completed_at=min(session.ends_at, now),
                source=Enrollment.Source.SESSION_ATTENDANCE,
                actor=actor,
                now=now,
            )
    return registration


# --- HMIS 10 Acknowledgement Form -----------------------------------------------------------------------
def acknowledgement_registration(continuum: Continuum, person: User) -> SessionRegistration | None:
    """The HMIS 10 attendance that makes the person eligible to sign, if any."""
    return (
        SessionRegistration.objects.filter(
            continuum=continuum,
            user=person,
            attendance=SessionRegistration.Attendance.PRESENT,
            session__course__code=ACKNOWLEDGEMENT_COURSE_CODE,
        )
        .select_related("session")
        .order_by("-session__starts_at")
        .first()
    )


def acknowledgement_sign(
    *, continuum: Continuum, person: User, typed_name: str, actor: User, now: dt.datetime | None = None
) -> AcknowledgementSignature:
    if actor.pk != person.pk:
        raise PermissionDenied("Only the person signs their own Acknowledgement Form.")
    typed_name = " ".join(typed_name.split())
    if len(typed_name) < 2:
        raise ValidationError("Type your full name to sign.")
    if person.full_name and typed_name.casefold() != " ".join(person.full_name.split()).casefold():
        raise ValidationError(f"Type your name as it is on your account: {person.full_name}.")
    now = now or timezone.now()
    with transaction.atomic():
        registration = acknowledgement_registration(continuum, person)
        if registration is None:
            raise ValidationError("The form opens after your attendance at HMIS 10 is recorded.")
        # Lock the person's row so a double submit cannot sign twice.
        User.objects.select_for_update().filter(pk=person.pk).first()
        if AcknowledgementSignature.objects.filter(
            continuum=continuum, user=person, text_version=ACKNOWLEDGEMENT_VERSION
        ).exists():
            raise ValidationError("You have already signed this form.")
        signature = AcknowledgementSignature.objects.create(
            continuum=continuum,
            user=person,
            registration=registration,
            typed_name=typed_name,
            signed_on=timezone.localtime(now, continuum.tzinfo).date(),
            text_version=ACKNOWLEDGEMENT_VERSION,
            text=ACKNOWLEDGEMENT_TEXT,
            signed_at=now,
        )
        audit_record(
            action="training.acknowledgement_signed",
            actor=actor,
            continuum=continuum,
            obj=signature,
            after=snapshot(signature, ["typed_name", "signed_on", "text_version"]),
            metadata={"registration": registration.pk},
        )
    return signature
