"""A request's rows and cells, written in Python: the queues and the request list show them on every
row (two template includes per row were a large share of a queue page's rendering, and the url,
date and timesince tags and variable lookups of 50 rows most of the rest). Each writes what its
template form wrote; tests compare them."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import template_localtime

register = template.Library()

# A pk no request has: reversed once per page render, then replaced by each row's pk.
_PK_MARK = 918273645


def _month_day(value) -> str:
    """`date:"M j"` of a date or a localised datetime ("Mar 4"), without dateformat's machinery."""
    return f"{MONTHS_3[value.month].title()} {value.day}"


def _detail_url(context, req) -> str:
    """{% url 'request_detail' current_continuum.slug req.pk %}, with one reverse() per page."""
    cache = context.render_context
    parts = cache.get("request_url_parts")
    if parts is None:
        parts = cache["request_url_parts"] = reverse(
            "request_detail", args=[context["current_continuum"].slug, _PK_MARK]
        ).rsplit(str(_PK_MARK), 1)
    return str(req.pk).join(parts)


def _link(context, req) -> SafeString:
    return format_html(
        '<th scope="row"><a class="usa-link" href="{}">#{}</a></th>', _detail_url(context, req), req.pk
    )


def _waiting(req) -> SafeString:
    """The day it was submitted (in the current time zone) and how long ago."""
    if not req.submitted_at:
        return mark_safe('<time datetime=""></time> ()')
    local = template_localtime(req.submitted_at)
    return format_html(
        '<time datetime="{}">{}</time> ({})', local.isoformat(), _month_day(local), timesince(local)
    )


def _submitted(req) -> SafeString:
    """The day it was submitted, or a dash for a draft."""
    if not req.submitted_at:
        return mark_safe("—")
    local = template_localtime(req.submitted_at)
    return format_html(
        '<time datetime="{}">{}</time>', local.isoformat(), f"{_month_day(local)}, {local.year:04d}"
    )


def _cells(cells) -> SafeString:
    return format_html_join("", "<td>{}</td>", ((cell,) for cell in cells))


@register.simple_tag(takes_context=True)
def queue_row(context, req) -> SafeString:
    """A review queue's row: request, agency, form, people, waiting since, SLA, status, assignee."""
    assignee = req.assignee.get_full_name() if req.assignee_id else ""
    return format_html(
        "<tr{}>{}{}</tr>",
        mark_safe(' class="app-row--overdue"') if req.sla_state == "overdue" else "",
        _link(context, req),
        _cells(
            (
                req.agency.name,
                req.request_type.short_name,
                req.people_count,
                _waiting(req),
                request_sla(req),
                request_status(req),
                assignee or "—",
            )
        ),
    )


@register.simple_tag(takes_context=True)
def list_row(context, req) -> SafeString:
    """The request list's row: request, agency, form, people, status, submitted, SLA."""
    return format_html(
        "<tr>{}{}</tr>",
        _link(context, req),
        _cells(
            (
                req.agency.name,
                req.request_type.short_name,
                req.people_count,
                request_status(req),
                _submitted(req),
                request_sla(req),
            )
        ),
    )


@register.simple_tag
def request_status(req) -> SafeString:
    return format_html(
        '<span class="usa-tag app-status app-status--{}">{}</span>', req.status, req.get_status_display()
    )


@register.simple_tag
def request_sla(req) -> SafeString:
    state = req.sla_state
    if state == "overdue":
        due = format_html(" (due {})", _month_day(req.sla_due_on)) if req.sla_due_on else ""
        return format_html('<span class="usa-tag app-sla app-sla--overdue">Overdue{}</span>', due)
    if state == "due_today":
        return mark_safe('<span class="usa-tag app-sla app-sla--today">Due today</span>')
    if state == "paused":
        return mark_safe('<span class="usa-tag app-sla app-sla--paused">Paused: waiting for the ATA</span>')
    if state == "on_track":
        due = _month_day(req.sla_due_on) if req.sla_due_on else ""
        return format_html('<span class="app-sla">Due {}</span>', due)
    return mark_safe("—")
