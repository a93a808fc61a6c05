"""Tenants, agencies and roles: who sees what."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agencies import selectors
from agencies.models import Membership
from agencies.services import membership_grant, membership_revoke
from hmis_onboarding.models import AuditEvent

from .factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_it_shows_an_ata_only_their_own_agency(tenant_a):
    visible = list(selectors.agency_list(continuum=tenant_a.continuum, user=tenant_a["ata"]))
    assert visible == [tenant_a.agency]
    staff_visible = set(selectors.agency_list(continuum=tenant_a.continuum, user=tenant_a["help_desk"]))
    assert staff_visible == {tenant_a.agency, tenant_a.other_agency}
    assert list(selectors.agency_list(continuum=tenant_a.continuum, user=tenant_a["agency_user"])) == []


@pytest.mark.django_db
def test_it_shows_nothing_of_another_tenant_to_anyone(tenant_a, tenant_b):
    for role in ("help_desk", "coc_admin", "auditor", "ata"):
        assert list(selectors.agency_list(continuum=tenant_a.continuum, user=tenant_b[role])) == []
        assert selectors.people_list(continuum=tenant_a.continuum, user=tenant_b[role]) == []


@pytest.mark.django_db
def test_it_lets_a_person_in_two_continuums_switch_between_them(client, tenant_a, tenant_b):
    person = UserFactory()
    MembershipFactory(user=person, continuum=tenant_a.continuum, role="ata", agency=tenant_a.agency)
    MembershipFactory(user=person, continuum=tenant_b.continuum, role="ata", agency=tenant_b.agency)
    client.force_login(person)
    chooser = client.get("/")
    assert chooser.status_code == 200
    assert {c.slug for c in chooser.context["continuums"]} == {"alpha", "beta"}
    assert client.get("/beta/").status_code == 200
    # Back at / they land in the CoC they used last, and can still ask for the chooser.
    assert client.get("/")["Location"] == "/beta/"
    assert client.get("/?choose=1").status_code == 200
    assert client.get("/alpha/").status_code == 200


@pytest.mark.django_db
def test_it_tells_a_person_without_any_continuum_who_can_add_them(client, tenant_a):
    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert "Your account is not part of any Continuum of Care" in response.content.decode()
    assert client.get(f"/{tenant_a.continuum.slug}/").status_code == 404


@pytest.mark.django_db
def test_it_drops_access_when_a_membership_is_revoked(client, tenant_a):
    membership = Membership.objects.get(user=tenant_a["ata"], role="ata")
    membership_revoke(membership=membership, actor=tenant_a["coc_admin"])
    client.force_login(tenant_a["ata"])
    assert client.get(f"/{tenant_a.continuum.slug}/").status_code == 404
    assert AuditEvent.objects.filter(action="membership.revoked").count() == 1


@pytest.mark.django_db
def test_it_refuses_role_and_agency_mismatches(tenant_a, tenant_b):
    person = UserFactory()
    with pytest.raises(ValidationError, match="held within an agency"):
        membership_grant(continuum=tenant_a.continuum, user=person, role="ata")
    with pytest.raises(ValidationError, match="not tied to an agency"):
        membership_grant(continuum=tenant_a.continuum, user=person, role="help_desk", agency=tenant_a.agency)
    with pytest.raises(ValidationError, match="another Continuum"):
        membership_grant(continuum=tenant_a.continuum, user=person, role="ata", agency=tenant_b.agency)
    # The database refuses it too, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(continuum=tenant_a.continuum, user=person, role="ata")
    assert not Membership.objects.filter(user=person).exists()


@pytest.mark.django_db
def test_it_grants_roles_idempotently(tenant_a):
    person = UserFactory()
    for _ in range(2):
        membership_grant(
            continuum=tenant_a.continuum, user=person, role="agency_user", agency=tenant_a.agency
        )
    assert Membership.objects.filter(user=person).count() == 1
    assert AuditEvent.objects.filter(action="membership.granted", object_id__isnull=False).count() == 1


def tenant_model_names() -> set[str]:
    names = set()
    for model in apps.get_models():
        fields = {f.name for f in model._meta.get_fields()}
        if "continuum" in fields or model._meta.model_name == "continuum":
            names.add(model.__name__)
    return names


def view_modules() -> list[Path]:
    files = []
    for app_dir in ("hmis_onboarding", "agencies", "access_requests", "training"):
        for path in (ROOT / app_dir).rglob("*.py"):
            if (
                path.name in ("views.py", "api.py")
                or path.name.startswith(("views_", "api_"))
                or "views" in path.parts
            ):
                files.append(path)
    return files


def direct_queries(source: str, tenant_models: set[str]) -> list[tuple[int, str]]:
    """(line, expression) for every direct query of a tenant model in some Python source."""
    hits = []
    for node in ast.walk(ast.parse(source)):
        # Model.objects... / Model._default_manager...
        if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager"):
            if isinstance(node.value, ast.Name) and node.value.id in tenant_models:
                hits.append((node.lineno, f"{node.value.id}.{node.attr}"))
        # get_object_or_404(Model, ...) / get_list_or_404(Model, ...)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id
            in (
                "get_object_or_404",
                "get_list_or_404",
            )
        ):
            if node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in tenant_models:
                hits.append((node.lineno, f"{node.func.id}({node.args[0].id})"))
    return hits


def test_it_keeps_views_from_querying_tenant_models_directly():
    """Views and API modules read tenant data only through selectors (STYLE.md §3)."""
    tenant_models = tenant_model_names()
    assert tenant_models >= {"Agency", "Membership", "Continuum"}
    assert view_modules(), "no view modules found: the scan would prove nothing"
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {expr}"
        for path in view_modules()
        for line, expr in direct_queries(path.read_text(), tenant_models)
    ]
    assert not offenders, "Query tenant data through selectors, not directly:\n" + "\n".join(offenders)


def test_the_scoping_lint_catches_direct_queries():
    """The lint above must be able to fail."""
    bad = (
        "from agencies.models import Agency\n"
        "def v(request, pk):\n"
        "    Agency.objects.all()\n"
        "    return get_object_or_404(Agency, pk=pk)\n"
    )
    assert sorted(direct_queries(bad, {"Agency"})) == [
        (3, "Agency.objects"),
        (4, "get_object_or_404(Agency)"),
    ]
    assert direct_queries("def v(request):\n    return selectors.agency_list()\n", {"Agency"}) == []
