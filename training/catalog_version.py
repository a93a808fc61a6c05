"""The catalog snapshot reused across requests, and what keeps it right.

Building a CoC's catalog (`selectors.catalog_snapshot`: courses with their bundles, prerequisites
and parts) costs three queries and a few hundred objects, and every trainee's tracker needs it. The
catalog changes rarely (CoC administrators edit it), so a page read reuses the snapshot built for
the catalog's current *version*: `CatalogVersion.token`, a random token replaced in the same
transaction as every change to a course, course part, bundle or prerequisite, and loaded with the
CoC on every page read (`tenancy.PRELOADED_SETTINGS`, no query of its own).

- The snapshots are kept in this process, keyed by (database, CoC, token). A token is only ever used
  for one state of the catalog, so a kept snapshot needs no invalidation: a change makes a new token
  and the next page read builds anew (once per process). A change that rolls back leaves its token
  uncommitted, so no other request ever looks it up. Nothing is shared between processes (no cache
  server round trip or unpickling per request), and nothing is read from a cache that could be
  stale: the token comes from the database with the CoC.
- Every writer changes the token: the receivers below cover each save and delete of the four
  models (services, the admin, catalog loading, seeding, cascades); writes that send no signals
  (`bulk_create`, `QuerySet.update`) call `catalog_changed` themselves.
- Reads outside a page (services, tasks: the continuum was not loaded by the tenancy middleware)
  build the snapshot from the database as before, so a service that changes the catalog and then
  recomputes paths always sees its own change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save

from agencies.models import Continuum
from hmis_onboarding.tenancy import preloaded

from .models import CatalogVersion, Course, CourseBundle, CoursePart, Prerequisite

CATALOG_MODELS = (Course, CoursePart, CourseBundle, Prerequisite)
KEPT = 64  # snapshots kept per process (one per CoC in use; a metro catalog is ~100 kB)

T = TypeVar("T")
_kept: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_lock = threading.Lock()


def catalog_changed(continuum_id: int, *, using: str | None = None) -> None:
    """Give the CoC's catalog a new version, in the caller's transaction (one upsert)."""
    CatalogVersion.objects.using(using or router.db_for_write(CatalogVersion)).bulk_create(
        [CatalogVersion(continuum_id=continuum_id)],
        update_conflicts=True,
        unique_fields=["continuum"],
        update_fields=["token"],
    )


def reuse(continuum: Continuum, build: Callable[[], T]) -> T:
    """What `build` returns for the CoC's current catalog version: kept from an earlier page read
    of this version, else built now (and kept). Outside a page read, or before the CoC's catalog
    has a version, always built."""
    found, version = preloaded(continuum, "catalog_version")
    if not found or version is None:
        return build()
    alias = router.db_for_read(Course)
    key = (alias, connections[alias].settings_dict["NAME"], continuum.pk, version.token)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    value = build()
    with _lock:
        _kept[key] = value
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return value


def forget_all() -> None:
    """Drop every kept snapshot (tests)."""
    with _lock:
        _kept.clear()


def _deleted_with_continuum(origin: Any) -> bool:
    """A CoC being deleted takes its catalog and its version row with it: nothing to renew."""
    if isinstance(origin, Continuum):
        return True
    return isinstance(origin, QuerySet) and origin.model is Continuum


def _catalog_saved(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    catalog_changed(instance.continuum_id, using=using)


def _catalog_deleted(sender: Any, instance: Any, using: str, origin: Any = None, **kwargs: Any) -> None:
    if not _deleted_with_continuum(origin):
        catalog_changed(instance.continuum_id, using=using)


def _continuum_created(
    sender: Any, instance: Any, created: bool, raw: bool, using: str, **kwargs: Any
) -> None:
    """A new CoC's catalog has a version from the start (as the migration gave existing CoCs)."""
    if created and not raw:
        catalog_changed(instance.pk, using=using)


post_save.connect(
    _continuum_created, sender=Continuum, dispatch_uid="training.catalog_version_of_new_continuum"
)
# Connected per model: a post_delete receiver for every sender would stop Django's fast deletes
# (one DELETE without fetching the rows) for every model of the project.
for _model in CATALOG_MODELS:
    post_save.connect(_catalog_saved, sender=_model, dispatch_uid=f"training.catalog_saved.{_model.__name__}")
    post_delete.connect(
        _catalog_deleted, sender=_model, dispatch_uid=f"training.catalog_deleted.{_model.__name__}"
    )
