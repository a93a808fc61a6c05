"""Access review (issue 6, part 6): ATAs certify their people's access; unanswered items escalate
and end in suspension after the grace period. Pages are scoped like the licenses page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access_requests import access_review
from access_requests.models import AccessReview, HmisAccount, HmisAccountStatus, ReviewDecision
from access_requests.services import RequestConflict
from hmis_onboarding.models import AuditEvent, Notification

from .credential_helpers import setup_coc

pytestmark = pytest.mark.django_db


@pytest.fixture
def coc(tenant_a):
    setup_coc(tenant_a)
    return tenant_a


def account(tenant, name, agency=None, status="active"):
    return HmisAccount.objects.create(
        continuum=tenant.continuum,
        agency=agency or tenant.agency,
        email=f"{name}@example.org",
        full_name=name.title(),
        hmis_username=name,
        status=status,
        issued_at="2026-01-01T00:00:00Z",
    )


def test_it_opens_one_review_per_agency_with_active_accounts(coc):
    account(coc, "ana")
    account(coc, "ben")
    account(coc, "old", status="revoked")
    account(coc, "ola", agency=coc.other_agency)
    with pytest.raises(PermissionDenied):
        access_review.access_review_open(continuum=coc.continuum, actor=coc["ata"])
    reviews = access_review.access_review_open(continuum=coc.continuum, actor=coc["help_desk"])
    assert {r.agency for r in reviews} == {coc.agency, coc.other_agency}
    mine = next(r for r in reviews if r.agency == coc.agency)
    assert {i.account.hmis_username for i in mine.items.all()} == {"ana", "ben"}
    assert access_review.access_review_open(continuum=coc.continuum, actor=coc["help_desk"]) == []
    assert Notification.objects.filter(dedupe_key=f"access_review:{mine.pk}:opened:{coc['ata'].pk}").exists()


def test_it_records_keep_and_revokes_remove_and_closes_when_done(coc):
    ana, ben = account(coc, "ana"), account(coc, "ben")
    (review,) = access_review.access_review_open(continuum=coc.continuum, actor=coc["help_desk"])
    items = {i.account.hmis_username: i for i in review.items.all()}
    with pytest.raises(PermissionDenied):
        access_review.access_review_decide(item=items["ana"], actor=coc["other_ata"], decision="keep")
    with pytest.raises(PermissionDenied):
        access_review.access_review_decide(item=items["ana"], actor=coc["help_desk"], decision="keep")
    access_review.access_review_decide(item=items["ana"], actor=coc["ata"], decision="keep")
    with pytest.raises(RequestConflict):
        access_review.access_review_decide(item=items["ana"], actor=coc["ata"], decision="remove")
    access_review.access_review_decide(item=items["ben"], actor=coc["ata"], decision="remove")
    ana.refresh_from_db()
    ben.refresh_from_db()
    assert ana.status == HmisAccountStatus.ACTIVE and ben.status == HmisAccountStatus.REVOKED
    review.refresh_from_db()
    assert review.closed_at is not None
    assert AuditEvent.objects.filter(action="access_review.decided").count() == 2


def test_it_escalates_once_then_suspends_unanswered_accounts_after_the_grace(coc):
    ana, ben = account(coc, "ana"), account(coc, "ben")
    (review,) = access_review.access_review_open(continuum=coc.continuum, actor=coc["help_desk"])
    access_review.access_review_decide(item=review.items.get(account=ana), actor=coc["ata"], decision="keep")
    before_due = review.due_on
    assert access_review.access_review_sweep(continuum=coc.continuum, today=before_due) == {
        "escalated": 0,
        "suspended": 0,
    }
    late = review.due_on + dt.timedelta(days=1)
    assert access_review.access_review_sweep(continuum=coc.continuum, today=late)["escalated"] == 1
    assert access_review.access_review_sweep(continuum=coc.continuum, today=late)["escalated"] == 0
    to = set(
        Notification.objects.filter(
            dedupe_key__startswith=f"access_review:{review.pk}:escalated"
        ).values_list("to_email", flat=True)
    )
    assert {coc["ata"].email, coc["agency_supervisor"].email, coc.continuum.help_desk_email} <= to
    after_grace = review.suspend_on + dt.timedelta(days=1)
    assert access_review.access_review_sweep(continuum=coc.continuum, today=after_grace)["suspended"] == 1
    assert access_review.access_review_sweep(continuum=coc.continuum, today=after_grace)["suspended"] == 0
    ana.refresh_from_db()
    ben.refresh_from_db()
    assert ana.status == HmisAccountStatus.ACTIVE and ben.status == HmisAccountStatus.SUSPENDED
    review.refresh_from_db()
    assert review.closed_at is not None
    assert review.items.get(account=ben).decision == ReviewDecision.LAPSED


def test_it_shows_each_ata_only_their_agency_and_lets_them_answer(client, coc, tenant_b):
    account(coc, "ana")
    account(coc, "ola", agency=coc.other_agency)
    access_review.access_review_open(continuum=coc.continuum, actor=coc["help_desk"])
    base = f"/{coc.continuum.slug}/access-reviews/"
    client.force_login(coc["ata"])
    page = client.get(base).content.decode()
    assert "ana" in page and "ola" not in page and "Still needs access" in page
    other_item = AccessReview.objects.get(agency=coc.other_agency).items.get()
    assert client.post(f"{base}items/{other_item.pk}/", {"decision": "keep"}).status_code == 404
    mine = AccessReview.objects.get(agency=coc.agency).items.get()
    assert client.post(f"{base}items/{mine.pk}/", {"decision": "bogus"}).status_code == 302
    mine.refresh_from_db()
    assert mine.decision == ""
    assert client.post(f"{base}items/{mine.pk}/", {"decision": "keep"}).status_code == 302
    mine.refresh_from_db()
    assert mine.decision == "keep"
    client.force_login(coc["agency_user"])
    assert client.get(base).status_code == 403
    client.force_login(tenant_b["help_desk"])
    assert client.get(base).status_code == 404


def test_it_keeps_the_review_page_constant_as_accounts_grow(client, coc):
    for n in range(2):
        account(coc, f"a{n}")
    access_review.access_review_open(continuum=coc.continuum, actor=coc["help_desk"])
    client.force_login(coc["help_desk"])
    client.get(f"/{coc.continuum.slug}/access-reviews/")
    with CaptureQueriesContext(connection) as small:
        client.get(f"/{coc.continuum.slug}/access-reviews/")
    for n in range(6):
        account(coc, f"b{n}", agency=coc.other_agency)
    access_review.access_review_open(continuum=coc.continuum, actor=coc["help_desk"])
    with CaptureQueriesContext(connection) as large:
        body = client.get(f"/{coc.continuum.slug}/access-reviews/").content.decode()
    assert "b5" in body
    assert len(large) == len(small), (len(small), len(large))
