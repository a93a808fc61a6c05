"""Writing the audit trail. Every state change calls `audit_record` inside its own transaction."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest, HttpResponse

from .models import AuditEvent

# The client address of the request being served, so services need not thread it through.
_current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _current_ip.reset(token)


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """A JSON-safe picture of some fields of a record, for `before` / `after`."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        json_safe = value is None or isinstance(value, str | int | float | bool | list | dict)
        if isinstance(value, models.Model) or not json_safe:
            value = str(value)
        out[name] = value
    return out


def audited_update(
    locked: models.Model,
    changes: dict[str, Any],
    *,
    action: str,
    actor: Any,
    continuum: Any,
    clean_exclude: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> bool:
    """Apply `changes` to a row the caller has locked (`select_for_update`, inside its transaction):
    validate the row, and only when a value really changed save just those fields and record
    before → after. Answers whether anything changed (nothing saved or audited otherwise)."""
    fields = list(changes)
    before = snapshot(locked, fields)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=clean_exclude)
    after = snapshot(locked, fields)
    if before == after:
        return False
    locked.save(update_fields=fields)
    audit_record(
        action=action,
        actor=actor,
        continuum=continuum,
        obj=locked,
        before=before,
        after=after,
        metadata=metadata,
    )
    return True


def audited_save(
    locked: models.Model,
    fields: list[str],
    before: dict[str, Any],
    *,
    created: bool,
    action: str,
    actor: Any,
    continuum: Any,
    created_extra: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> bool:
    """Finish a create-or-change of a row its service has set and validated (inside the service's
    transaction): a change that changed nothing writes nothing and answers False; otherwise save the
    new row whole, or only `fields` of an existing one, and record `<action>_created` /
    `<action>_changed` with before → after (`created_extra` adds identifying fields to a creation)."""
    after = snapshot(locked, fields)
    if not created and before == after:
        return False
    if created:
        locked.save()
        after = {**(created_extra or {}), **after}
    else:
        locked.save(update_fields=fields)
    audit_record(
        action=f"{action}_{'created' if created else 'changed'}",
        actor=actor,
        continuum=continuum,
        obj=locked,
        before=before,
        after=after,
        metadata=metadata,
    )
    return True


def audit_record(
    *,
    action: str,
    actor: Any = None,
    continuum: Any = None,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    ip_address: str | None = None,
    actor_label: str = "",
) -> AuditEvent:
    is_person = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        action=action,
        actor=actor if is_person else None,
        actor_label=actor_label or (actor.email if is_person else ""),
        continuum=continuum,
        object_type=ContentType.objects.get_for_model(obj, for_concrete_model=False) if obj else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before or {},
        after=after or {},
        metadata=metadata or {},
        ip_address=ip_address or _current_ip.get(),
    )
