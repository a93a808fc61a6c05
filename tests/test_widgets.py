"""LeanSelect writes the same markup as Django's Select, faster."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html
from django.utils.html import escape

from hmis_onboarding.widgets import LeanSelect

CHOICES = [
    ("", "Any agency"),
    (1, "Lakeshore Family Services"),
    (2, 'A & B "Housing" <Partners>'),
    ("Outreach", [(3, "Street Team"), (4, "Drop-in")]),
]


@pytest.mark.parametrize("value", [None, "", 2, "3", ["4"]])
def test_it_renders_what_djangos_select_renders(value):
    attrs = {
        "id": "id_agency",
        "class": "usa-select",
        "aria-describedby": "id_agency_helptext",
        "required": True,
    }
    expected = forms.Select(choices=CHOICES).render("agency", value, attrs=attrs)
    rendered = LeanSelect(choices=CHOICES).render("agency", value, attrs=attrs)
    assert parse_html(rendered) == parse_html(expected)


def test_it_escapes_labels_and_marks_the_chosen_option():
    html = LeanSelect(choices=CHOICES).render("agency", 2, attrs={"id": "id_agency"})
    assert "A &amp; B &quot;Housing&quot; &lt;Partners&gt;" in html
    assert html.count(" selected") == 1
    assert '<option value="2" selected>' in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["queue/help-desk/", "training/progress/"])
def test_it_keeps_the_chosen_agency_selected_on_filtered_pages(path, tenant_a, tenant_b, login):
    client = login(tenant_a["help_desk"])
    agency = tenant_a.agency
    idle = None
    if path.startswith("queue/"):
        # The queue offers the agencies with open requests in it (and the one already chosen).
        from django.utils import timezone

        from access_requests.configuration import install_chicago
        from access_requests.models import AccessRequest, RequestType

        from .factories import AgencyFactory

        install_chicago(tenant_a.continuum)
        AccessRequest.objects.create(
            continuum=tenant_a.continuum,
            agency=tenant_a.other_agency,
            request_type=RequestType.objects.filter(continuum=tenant_a.continuum).first(),
            queue="help_desk",
            status="submitted",
            created_by=tenant_a["ata"],
            submitted_at=timezone.now(),
        )
        idle = AgencyFactory(continuum=tenant_a.continuum)
    page = client.get(f"/{tenant_a.continuum.slug}/{path}?agency={agency.pk}").content.decode()
    # Only the agency filter's options: other selects (form, status…) have their own small ids.
    start = page.index('name="agency"')
    html = page[start : page.index("</select>", start)]
    assert f'<option value="{agency.pk}" selected>{escape(agency.name)}</option>' in html
    assert f'<option value="{tenant_a.other_agency.pk}">' in html
    if idle is not None:
        assert f'<option value="{idle.pk}">' not in html
    # Another CoC's agencies are never offered.
    assert f'<option value="{tenant_b.agency.pk}"' not in html
