"""A request's cells, written in Python: the queues and lists show them on every row (two template
includes per row were a large share of a queue page's rendering, and the date, timesince and url
tags per row most of the rest). Each writes what its template form wrote; tests compare them."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import template_localtime

register = template.Library()

# A pk no request has, reversed once per page render and replaced by each row's pk.
_PK_MARK = 918273645


def date(value, format_string: str) -> str:
    """The `date` filter on a date or a (template-localised) datetime, without its per-call format
    lookup: `format_string` is a format, never a setting's name."""
    if value in (None, ""):
        return ""
    return date_format(template_localtime(value), format_string)


@register.simple_tag(takes_context=True)
def request_url(context, req) -> str:
    """{% url 'request_detail' current_continuum.slug req.pk %}, with one reverse() per page."""
    cache = context.render_context
    prefix = cache.get("request_url_parts")
    if prefix is None:
        prefix = cache["request_url_parts"] = reverse(
            "request_detail", args=[context["current_continuum"].slug, _PK_MARK]
        ).rsplit(str(_PK_MARK), 1)
    return str(req.pk).join(prefix)


@register.simple_tag
def request_waiting(req) -> SafeString:
    """The queue's "waiting since" cell: the day it was submitted and how long ago."""
    submitted = req.submitted_at
    return format_html(
        '<time datetime="{}">{}</time> ({})',
        date(submitted, "c"),
        date(submitted, "M j"),
        timesince(submitted) if submitted else "",
    )


@register.simple_tag
def request_submitted(req) -> SafeString:
    """The request list's "submitted" cell: the day, or a dash for a draft."""
    submitted = req.submitted_at
    if not submitted:
        return mark_safe("—")
    return format_html('<time datetime="{}">{}</time>', date(submitted, "c"), date(submitted, "M j, Y"))


@register.simple_tag
def request_status(req) -> SafeString:
    return format_html(
        '<span class="usa-tag app-status app-status--{}">{}</span>', req.status, req.get_status_display()
    )


@register.simple_tag
def request_sla(req) -> SafeString:
    state = req.sla_state
    if state == "overdue":
        due = format_html(" (due {})", date(req.sla_due_on, "M j")) if req.sla_due_on else ""
        return format_html('<span class="usa-tag app-sla app-sla--overdue">Overdue{}</span>', due)
    if state == "due_today":
        return mark_safe('<span class="usa-tag app-sla app-sla--today">Due today</span>')
    if state == "paused":
        return mark_safe('<span class="usa-tag app-sla app-sla--paused">Paused: waiting for the ATA</span>')
    if state == "on_track":
        return format_html('<span class="app-sla">Due {}</span>', date(req.sla_due_on, "M j"))
    return mark_safe("—")
