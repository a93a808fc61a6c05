"""Tenant pages of the kernel: the e-mail outbox, notification preferences, calendar and reminders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import notifications, selectors, services
from .decorators import tenant_view
from .forms import (
    CalendarSettingsForm,
    FederalHolidaysForm,
    HolidayForm,
    NotificationPreferencesForm,
    OutboxFilterForm,
)
from .models import Notification
from .permissions import Capability


@tenant_view(Capability.MANAGE_OUTBOX)
def outbox(request: HttpRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    rows = selectors.outbox_list(continuum=request.continuum, user=request.user, state=state)
    page = Paginator(rows.select_related("recipient"), 50).get_page(request.GET.get("page"))
    counts = selectors.outbox_counts(continuum=request.continuum, user=request.user)
    return render(
        request,
        "notifications/outbox.html",
        {"form": form, "page": page, "state": state, "counts": counts, "states": Notification.State},
    )


@tenant_view(Capability.MANAGE_OUTBOX)
@require_POST
def outbox_retry(request: HttpRequest, notification_id: int) -> HttpResponse:
    row = selectors.outbox_get(
        continuum=request.continuum, user=request.user, notification_id=notification_id
    )
    try:
        notifications.notification_retry(notification=row, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The e-mail to {row.to_email} is queued again.")
    url = reverse("notification_outbox", args=[request.continuum.slug])
    state = request.POST.get("state", "")
    if state in Notification.State.values:
        url += f"?state={state}"
    return redirect(url)


@tenant_view()
def notification_preferences(request: HttpRequest) -> HttpResponse:
    preferences = selectors.notification_preferences(continuum=request.continuum, user=request.user)
    form = NotificationPreferencesForm(request.POST or None, preferences=preferences)
    if request.method == "POST" and form.is_valid():
        try:
            changed = notifications.notification_preferences_update(
                continuum=request.continuum, user=request.user, choices=form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Preferences saved." if changed else "Nothing to change.")
            return redirect("notification_preferences", continuum_slug=request.continuum.slug)
    security = [p for p in preferences if not p.kind.choosable]
    return render(request, "notifications/preferences.html", {"form": form, "security": security})


@tenant_view(Capability.CONFIGURE_CONTINUUM)
def business_calendar(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    current = selectors.calendar_settings(continuum=continuum, user=user)
    cal, cfg = current["calendar"], current["notification_settings"]
    action = request.POST.get("action") if request.method == "POST" else None
    settings_form = CalendarSettingsForm(
        request.POST if action == "settings" else None,
        initial={
            "workday_start": cal.workday_start,
            "workday_end": cal.workday_end,
            "digest_hour": cfg.digest_hour,
            "reminder_offsets": ", ".join(str(n) for n in cfg.offsets),
            "escalation_delay_business_days": cfg.escalation_delay_business_days,
            "setup_grace_business_days": cfg.setup_grace_business_days,
        },
        prefix="settings",
    )
    holiday_form = HolidayForm(request.POST if action == "holiday" else None, prefix="holiday")
    federal_form = FederalHolidaysForm(
        request.POST if action == "federal" else None,
        initial={"year": timezone.localdate().year + (1 if timezone.localdate().month >= 10 else 0)},
        prefix="federal",
    )
    done = None
    try:
        if action == "settings" and settings_form.is_valid():
            changed = services.calendar_settings_update(
                continuum=continuum,
                actor=user,
                **{name: settings_form.cleaned_data[name] for name in settings_form.changed_data},
            )
            done = "Settings saved." if changed else "Nothing to change."
        elif action == "holiday" and holiday_form.is_valid():
            services.holiday_add(
                continuum=continuum,
                actor=user,
                day=holiday_form.cleaned_data["date"],
                name=holiday_form.cleaned_data["name"],
            )
            done = "Holiday added."
        elif action == "federal" and federal_form.is_valid():
            year = federal_form.cleaned_data["year"]
            added = services.holidays_load_us_federal(continuum=continuum, actor=user, year=year)
            done = f"{added} federal holiday{'s' if added != 1 else ''} of {year} added."
    except ValidationError as error:
        form = {"settings": settings_form, "holiday": holiday_form, "federal": federal_form}[action]
        form.add_error(None, error)
    if done:
        messages.success(request, done)
        return redirect("business_calendar", continuum_slug=continuum.slug)
    this_year = timezone.localdate().year
    holidays = selectors.holidays_list(continuum=continuum, user=user).filter(date__year__gte=this_year)
    return render(
        request,
        "notifications/calendar.html",
        {
            "settings_form": settings_form,
            "holiday_form": holiday_form,
            "federal_form": federal_form,
            "holidays": holidays,
            "history": selectors.calendar_history(continuum=continuum, user=user),
        },
    )


@tenant_view(Capability.CONFIGURE_CONTINUUM)
@require_POST
def holiday_delete(request: HttpRequest, holiday_id: int) -> HttpResponse:
    holiday = selectors.holiday_get(continuum=request.continuum, user=request.user, holiday_id=holiday_id)
    services.holiday_remove(holiday=holiday, actor=request.user)
    messages.success(request, f"{holiday.name} ({holiday.date:%B} {holiday.date.day}) removed.")
    return redirect("business_calendar", continuum_slug=request.continuum.slug)
