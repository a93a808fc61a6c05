"""Template helpers for rendering Django form fields with USWDS classes and ARIA links."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField

register = template.Library()

_CLASS_BY_WIDGET = (
    (forms.CheckboxInput, "usa-checkbox__input"),
    (forms.RadioSelect, "usa-radio__input"),
    (forms.CheckboxSelectMultiple, "usa-checkbox__input"),
    (forms.Select, "usa-select"),
    (forms.Textarea, "usa-textarea"),
    (forms.FileInput, "usa-file-input"),
)


@register.filter
def uswds(field: BoundField) -> str:
    widget = field.field.widget
    css = "usa-input"
    for widget_class, name in _CLASS_BY_WIDGET:
        if isinstance(widget, widget_class):
            css = name
            break
    attrs = {"class": f"{css}{' usa-input--error' if field.errors else ''}"}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if field.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}_error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def requires_mfa(user) -> bool:
    """For allauth's two-factor page: staff cannot switch TOTP off, so they get no button for it."""
    from hmis_onboarding.security import user_requires_mfa

    return bool(getattr(user, "is_authenticated", False)) and user_requires_mfa(user)
