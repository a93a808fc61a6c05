"""Template helpers for the agency pages."""

from __future__ import annotations

from django import template
from django.forms.boundfield import BoundField

register = template.Library()


@register.filter
def choice_group(field: BoundField) -> str:
    """ "checkbox" / "radio" for fields rendered as a USWDS fieldset, else ""."""
    return getattr(field.field.widget, "choice_group", "")


@register.filter
def get_item(mapping: dict, key: object) -> object:
    return mapping.get(key) if mapping else None
