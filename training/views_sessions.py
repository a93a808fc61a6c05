"""Instructor-led session pages: the schedule and registration for people, scheduling and the
roster with attendance for training staff, and the HMIS 10 Acknowledgement Form."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from agencies import selectors as agency_selectors
from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.permissions import Capability

from . import selectors, sessions
from .forms import AcknowledgementForm, RegisterForForm, SessionForm


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@tenant_view()
def session_list(request: HttpRequest) -> HttpResponse:
    """Upcoming sessions; a member registers or cancels for themselves (an ATA also for their people)."""
    continuum, user = request.continuum, request.user
    people = selectors.registrable_people(continuum=continuum, user=user)
    upcoming = selectors.session_list(continuum=continuum, user=user)
    form_kwargs = {"people": people, "sessions": upcoming, "tz": continuum.tzinfo, "prefix": "for"}
    register_for = RegisterForForm(**form_kwargs) if people.exists() else None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "register_for":
                form = RegisterForForm(request.POST, **form_kwargs)
                if not form.is_valid():
                    return HttpResponse("Choose an upcoming session and a person of your agency.", status=400)
                session, person = form.cleaned_data["session"], form.cleaned_data["person"]
            elif action == "register":
                session_id = _int(request.POST.get("session"))
                if session_id is None:
                    return HttpResponse("Choose a session.", status=400)
                session = selectors.session_get(continuum=continuum, user=user, session_id=session_id)
                person = user
            if action in ("register", "register_for"):
                registration = sessions.session_register(session=session, person=person, actor=user)
                messages.success(
                    request,
                    f"{'You are' if person == user else f'{person} is'} "
                    f"{registration.get_status_display().lower()} for {session.course.name}.",
                )
            if action == "cancel":
                registration_id = _int(request.POST.get("registration"))
                if registration_id is None:
                    return HttpResponse("Choose a registration.", status=400)
                registration = selectors.registration_get(
                    continuum=continuum, user=user, registration_id=registration_id
                )
                sessions.registration_cancel(registration=registration, actor=user)
                messages.success(request, "Registration cancelled.")
            elif action not in ("register", "register_for"):
                return HttpResponse("Choose register or cancel.", status=400)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        return redirect("training_sessions", continuum_slug=continuum.slug)
    mine = selectors.session_registrations_of(continuum=continuum, user=user)
    rows = [(session, mine.get(session.pk)) for session in upcoming]
    context = {
        "rows": rows,
        "mine": [r for r in mine.values() if r.status != r.Status.CANCELLED],
        "register_for": register_for,
        "acknowledgement_open": sessions.acknowledgement_registration(continuum, user) is not None,
        "can_manage": request.access.can(Capability.MANAGE_TRAINING),
        "tz": continuum.tzinfo,
    }
    return render(request, "training/sessions.html", context, status=status)


@tenant_view(Capability.MANAGE_TRAINING)
def session_schedule(request: HttpRequest) -> HttpResponse:
    """Every session, newest first, and the form that schedules a new one."""
    continuum, user = request.continuum, request.user
    form_kwargs = {
        "courses": selectors.session_courses(continuum=continuum, user=user),
        "trainers": selectors.session_trainers(continuum=continuum, user=user),
        "tz_name": continuum.timezone,
    }
    form = SessionForm(**form_kwargs)
    if request.method == "POST":
        form = SessionForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            starts_at = dt.datetime.combine(data["date"], data["start_time"], tzinfo=continuum.tzinfo)
            try:
                session = sessions.session_create(
                    continuum=continuum,
                    course=data["course"],
                    starts_at=starts_at,
                    duration_minutes=data["duration_minutes"],
                    capacity=data["capacity"],
                    location=data["location"],
                    webinar_url=data["webinar_url"],
                    trainer=data["trainer"],
                    actor=user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Session scheduled: {session.course.name}.")
                return redirect(
                    "training_session_roster", continuum_slug=continuum.slug, session_id=session.pk
                )
    context = {
        "form": form,
        "sessions": selectors.session_list(continuum=continuum, user=user, upcoming=False)[:100],
        "can_manage": True,
        "tz": continuum.tzinfo,
    }
    return render(request, "training/session_schedule.html", context, status=400 if form.errors else 200)


@tenant_view(Capability.MANAGE_TRAINING)
def session_roster(request: HttpRequest, session_id: int) -> HttpResponse:
    """Who has a seat and who waits; attendance once the session has started."""
    continuum, user = request.continuum, request.user
    session = selectors.session_get(continuum=continuum, user=user, session_id=session_id, for_staff=True)
    if request.method == "POST" and request.POST.get("action") == "cancel_session":
        try:
            told = sessions.session_cancel(session=session, reason=request.POST.get("reason", ""), actor=user)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(
                request,
                f"Session cancelled. {told} {'person was' if told == 1 else 'people were'} told by e-mail.",
            )
        return redirect("training_session_roster", continuum_slug=continuum.slug, session_id=session.pk)
    if request.method == "POST":
        registration_id = _int(request.POST.get("registration"))
        attendance = request.POST.get("attendance", "")
        if registration_id is None:
            return HttpResponse("Choose a person on the roster.", status=400)
        registration = selectors.registration_get(
            continuum=continuum, user=user, registration_id=registration_id, staff=True
        )
        if registration.session_id != session.pk:
            return HttpResponse("That person is not on this session's roster.", status=400)
        try:
            sessions.attendance_record(registration=registration, attendance=attendance, actor=user)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, f"{registration.user}: {attendance}.")
        return redirect("training_session_roster", continuum_slug=continuum.slug, session_id=session.pk)
    context = {
        "session": session,
        "roster": selectors.session_roster(continuum=continuum, user=user, session=session),
        "history": agency_selectors.object_history(continuum=continuum, user=user, obj=session),
        "can_manage": True,
        "tz": continuum.tzinfo,
        "can_cancel": not session.is_cancelled and session.starts_at > timezone.now(),
    }
    return render(request, "training/session_roster.html", context)


@tenant_view()
def acknowledgement(request: HttpRequest) -> HttpResponse:
    """The HMIS 10 Acknowledgement Form: open after the person's HMIS 10 attendance is recorded."""
    continuum, user = request.continuum, request.user
    signed = selectors.acknowledgement_of(continuum=continuum, user=user)
    eligible = sessions.acknowledgement_registration(continuum, user) is not None
    form = AcknowledgementForm()
    status = 200
    if request.method == "POST":
        form = AcknowledgementForm(request.POST)
        if form.is_valid():
            try:
                sessions.acknowledgement_sign(
                    continuum=continuum, person=user, typed_name=form.cleaned_data["typed_name"], actor=user
                )
            except ValidationError as error:
                form.add_error("typed_name", error)
            else:
                messages.success(request, "Thank you: your HMIS 10 Acknowledgement Form is signed.")
                return redirect("training_acknowledgement", continuum_slug=continuum.slug)
        status = 400
    context = {
        "form": form,
        "signed": signed,
        "eligible": eligible,
        "text": signed.text if signed else sessions.ACKNOWLEDGEMENT_TEXT,
        "version": signed.text_version if signed else sessions.ACKNOWLEDGEMENT_VERSION,
        "tz": continuum.tzinfo,
    }
    return render(request, "training/acknowledgement.html", context, status=status)
