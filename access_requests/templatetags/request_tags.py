"""A request's status and SLA tags, written in Python: the queues and lists show them on every row
(two template includes per row were a large share of a queue page's rendering)."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import date
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


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
