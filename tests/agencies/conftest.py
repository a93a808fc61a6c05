"""Fixtures for the agency-side tests: a private MEDIA_ROOT and an APA per tenant."""

from __future__ import annotations

import pytest

from .helpers import make_agreement, make_type, make_version, pdf_bytes

__all__ = ["make_agreement", "make_type", "make_version", "pdf_bytes"]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Stored agreements go to a throw-away MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def apa_a(tenant_a):
    agreement_type = make_type(tenant_a.continuum)
    make_version(agreement_type)
    return agreement_type


@pytest.fixture
def apa_b(tenant_b):
    agreement_type = make_type(tenant_b.continuum)
    make_version(agreement_type)
    return agreement_type
