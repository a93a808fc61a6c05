"""Storage for signed agreements: under MEDIA_ROOT/private, which no URL serves.

Files leave only through a view that checks who is asking (see views_agreements.agreement_document).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property


@deconstructible
class PrivateStorage(FileSystemStorage):
    @cached_property
    def base_location(self) -> str:
        # Read lazily so that a changed MEDIA_ROOT (tests, settings reload) is honoured.
        return os.path.join(settings.MEDIA_ROOT, "private")

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL; serve them through a permission-checked view.")
