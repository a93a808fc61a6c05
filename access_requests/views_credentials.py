"""Pages for the last steps to a credential: the person's HMIS access page (training, sample client
rounds and feedback, End User Agreement, credential), the Help Desk's sample client queue, review
and issuance, and the agency's licenses page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.permissions import Capability, Role

from . import access_review, credentials, hrs, sample_client
from . import credential_selectors as selectors
from .credential_config import policy_for, project_type_label
from .forms_credentials import (
    CeDeclineForm,
    HrsSignForm,
    IssueForm,
    OffboardForm,
    ReviewForm,
    SignForm,
    SubmitForm,
)
from .models import AgreementKind, CeDecision, OnboardingStage
from .services import RequestConflict


def _errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


# --- The person's page -------------------------------------------------------------------------------


@tenant_view()
def my_access(request: HttpRequest) -> HttpResponse:
    continuum = request.continuum
    onboardings = list(selectors.my_onboardings(continuum=continuum, user=request.user))
    current = credentials.current_eua(continuum)
    current_hrs = credentials.current_hrs_agreement(continuum)
    # A new version that asks people to sign again makes earlier signatures stop counting.
    eua_floor = credentials.resign_floor(continuum, AgreementKind.END_USER)
    hrs_floor = credentials.resign_floor(continuum, AgreementKind.HRS)
    cards = []
    for ob in onboardings:
        assignments = list(ob.assignments.all())
        open_assignment = next((a for a in assignments if a.status in ("waitlisted", "open")), None)
        signatures = list(ob.signatures.all())
        cards.append(
            {
                "onboarding": ob,
                "assignments": assignments,
                "open_assignment": open_assignment,
                "position": sample_client.waitlist_position(open_assignment) if open_assignment else None,
                "awaiting_review": bool(
                    open_assignment and any(r.reviewed_at is None for r in open_assignment.rounds.all())
                ),
                "may_sign_up": not ob.sample_client_exempt_reason
                and ob.stage in (OnboardingStage.TRAINING, OnboardingStage.SAMPLE_CLIENT)
                and open_assignment is None
                and credentials.person_ready_for_sample_client(continuum, request.user),
                "must_sign": current is not None
                and not credentials.signatures_cover(signatures, AgreementKind.END_USER, eua_floor)
                and credentials.may_sign_eua(ob),
                "must_sign_hrs": current_hrs is not None
                and not credentials.signatures_cover(signatures, AgreementKind.HRS, hrs_floor)
                and credentials.may_sign_hrs_agreement(ob),
                "project_types": [project_type_label(t) for t in ob.project_types],
            }
        )
    return render(
        request,
        "access_requests/my_access.html",
        {"cards": cards, "eua": current, "sign_form": SignForm(), "submit_form": SubmitForm()},
    )


@tenant_view()
@require_POST
def my_access_action(request: HttpRequest, onboarding_id: int, action: str) -> HttpResponse:
    continuum = request.continuum
    ob = selectors.my_onboarding(continuum=continuum, user=request.user, onboarding_id=onboarding_id)
    back = redirect("my_access", continuum.slug)
    try:
        if action == "sign-up":
            assignment = sample_client.sample_client_sign_up(onboarding=ob, actor=request.user)
            messages.success(
                request,
                "Your sample client assignment is open."
                if assignment.status == "open"
                else "You are on the waitlist; we e-mail you when a seat opens.",
            )
        elif action == "submit":
            form = SubmitForm(request.POST)
            assignment = next((a for a in ob.assignments.all() if a.status == "open"), None)
            if assignment is None:
                raise RequestConflict("You have no open assignment.")
            if not form.is_valid():
                raise ValidationError("Enter the sample client's ID in the HMIS training site.")
            sample_client.sample_client_submit(
                assignment=assignment,
                actor=request.user,
                client_reference=form.cleaned_data["client_reference"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, "Submitted. The Help Desk reviews it and writes to you and your ATA.")
        elif action == "sign":
            form = SignForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Type your full name and tick the box to sign.")
            credentials.eua_sign(
                onboarding=ob, actor=request.user, signed_name=form.cleaned_data["signed_name"]
            )
            messages.success(request, "Signed. Your ATA received the agreement.")
        else:
            raise Http404
    except (ValidationError, RequestConflict) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    return back


@tenant_view()
def hrs_agreement_sign(request: HttpRequest, onboarding_id: int) -> HttpResponse:
    """The person's own page to read and sign the CoC's current HRS Agreement."""
    continuum = request.continuum
    ob = selectors.my_onboarding(continuum=continuum, user=request.user, onboarding_id=onboarding_id)
    if not ob.is_hrs:
        raise Http404
    version = credentials.current_hrs_agreement(continuum)
    signatures = [s for s in ob.signatures.all() if s.version.kind == AgreementKind.HRS]
    signed_current = version is not None and credentials.signatures_cover(
        signatures, AgreementKind.HRS, credentials.resign_floor(continuum, AgreementKind.HRS)
    )
    form = HrsSignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                credentials.hrs_agreement_sign(
                    onboarding=ob, actor=request.user, signed_name=form.cleaned_data["signed_name"]
                )
            except ValidationError as error:
                _errors(form, error)
            except RequestConflict as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    "Signed. Your ATA received the agreement; the Coordinated Entry team approves your "
                    "Coordinated Entry access next.",
                )
                return redirect("my_access", continuum.slug)
        status = 400
    return render(
        request,
        "access_requests/hrs_agreement_sign.html",
        {
            "onboarding": ob,
            "version": version,
            "signatures": signatures,
            "signed_current": signed_current,
            "may_sign": version is not None and not signed_current and credentials.may_sign_hrs_agreement(ob),
            "form": form,
        },
        status=status,
    )


@tenant_view()
def hrs_agreement_document(request: HttpRequest, signature_id: int) -> HttpResponse:
    signature = selectors.signature_get(
        continuum=request.continuum, user=request.user, signature_id=signature_id, kind=AgreementKind.HRS
    )
    return FileResponse(
        signature.document.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"hrs-agreement-{signature.version.label}.pdf",
    )


@tenant_view()
def eua_document(request: HttpRequest, signature_id: int) -> HttpResponse:
    signature = selectors.signature_get(
        continuum=request.continuum, user=request.user, signature_id=signature_id
    )
    return FileResponse(
        signature.document.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"end-user-agreement-{signature.version.label}.pdf",
    )


# --- Help Desk ---------------------------------------------------------------------------------------


@tenant_view(Capability.REVIEW_SAMPLE_CLIENTS)
def sample_client_queue(request: HttpRequest) -> HttpResponse:
    continuum, user = request.continuum, request.user
    return render(
        request,
        "access_requests/sample_client_queue.html",
        {
            "rounds": list(selectors.rounds_awaiting_review(continuum=continuum, user=user)[:200]),
            "ready": list(
                selectors.onboardings_at(continuum=continuum, user=user, stage=OnboardingStage.READY)[:200]
            ),
            "training": list(
                selectors.onboardings_at(continuum=continuum, user=user, stage=OnboardingStage.TRAINING)[:200]
            ),
            "seats": selectors.seat_counts(continuum=continuum),
            "policy": policy_for(continuum),
        },
    )


@tenant_view(Capability.REVIEW_SAMPLE_CLIENTS)
def sample_client_review(request: HttpRequest, round_id: int) -> HttpResponse:
    continuum = request.continuum
    rnd = selectors.round_for_review(continuum=continuum, user=request.user, round_id=round_id)
    assignment = rnd.assignment
    elements = sample_client.rubric_for(continuum, assignment.project_type)
    form = ReviewForm(request.POST or None, elements=elements)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            results = [
                sample_client.ElementResult(e.pk, data[f"errors_{e.pk}"], data[f"comment_{e.pk}"])
                for e in elements
            ]
            try:
                sample_client.sample_client_review(
                    round=rnd,
                    reviewer=request.user,
                    results=results,
                    outcome=data["outcome"],
                    feedback=data["feedback"],
                    walkthrough_at=data["walkthrough_at"],
                    walkthrough_link=data["walkthrough_link"],
                    walkthrough_with=data["walkthrough_with"],
                    redo_course=data["redo_course"],
                )
            except ValidationError as error:
                _errors(form, error)
            except (RequestConflict, PermissionDenied) as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Review saved; the person and their ATA were told.")
                return redirect("sample_client_queue", continuum.slug)
        status = 400
    return render(
        request,
        "access_requests/sample_client_review.html",
        {
            "round": rnd,
            "assignment": assignment,
            "project_type": project_type_label(assignment.project_type),
            "earlier": selectors.earlier_rounds(round=rnd),
            "form": form,
        },
        status=status,
    )


@tenant_view(Capability.REVIEW_SAMPLE_CLIENTS)
@require_POST
def onboarding_confirm_training(request: HttpRequest, onboarding_id: int) -> HttpResponse:
    ob = selectors.onboarding_for_staff(
        continuum=request.continuum,
        user=request.user,
        onboarding_id=onboarding_id,
        capability=Capability.REVIEW_SAMPLE_CLIENTS,
    )
    try:
        credentials.onboarding_confirm_training(onboarding=ob, actor=request.user)
        messages.success(request, f"Training confirmed for {ob.person.full_name}.")
    except RequestConflict as error:
        messages.error(request, str(error))
    return redirect("sample_client_queue", request.continuum.slug)


@tenant_view(Capability.ISSUE_CREDENTIALS)
def credential_issue(request: HttpRequest, onboarding_id: int) -> HttpResponse:
    continuum = request.continuum
    ob = selectors.onboarding_for_staff(
        continuum=continuum,
        user=request.user,
        onboarding_id=onboarding_id,
        capability=Capability.ISSUE_CREDENTIALS,
    )
    projects = selectors.issuable_projects(onboarding=ob)
    form = IssueForm(request.POST or None, projects=projects)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                credentials.hmis_account_issue(
                    onboarding=ob,
                    actor=request.user,
                    hmis_username=form.cleaned_data["hmis_username"],
                    hmis_role=form.cleaned_data["hmis_role"],
                    projects=list(form.cleaned_data["projects"]),
                )
            except ValidationError as error:
                _errors(form, error)
            except RequestConflict as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"Credential recorded for {ob.person.full_name}.")
                return redirect("sample_client_queue", continuum.slug)
        status = 400
    return render(
        request, "access_requests/credential_issue.html", {"onboarding": ob, "form": form}, status=status
    )


# --- Licenses ----------------------------------------------------------------------------------------


@tenant_view(Capability.VIEW_LICENSES)
def licenses(request: HttpRequest) -> HttpResponse:
    agencies = selectors.license_agencies(continuum=request.continuum, user=request.user)
    rows = []
    for agency in agencies:
        holders = []
        for account in agency.holders:
            signatures = (
                [s for s in account.onboarding.signatures.all() if s.version.kind == AgreementKind.END_USER]
                if account.onboarding_id
                else []
            )
            holders.append(
                {
                    "account": account,
                    "signature": signatures[0] if signatures else None,
                    "may_offboard": credentials.may_offboard(request.user, account, request.access),
                }
            )
        rows.append(
            {
                "agency": agency,
                "used": agency.licenses_used,
                "free": max(0, agency.license_pool_size - agency.licenses_used),
                "holders": holders,
            }
        )
    return render(request, "access_requests/licenses.html", {"rows": rows, "offboard_form": OffboardForm()})


@tenant_view()
@require_POST
def hmis_account_offboard(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.account_for_offboarding(
        continuum=request.continuum, user=request.user, account_id=account_id
    )
    form = OffboardForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        credentials.hmis_account_offboard(account=account, actor=request.user, note=note)
        messages.success(
            request, f"Access of {account.full_name or account.email} revoked; the license is free."
        )
    except RequestConflict as error:
        messages.error(request, str(error))
    return redirect(reverse("licenses", args=[request.continuum.slug]))


# --- Access review -----------------------------------------------------------------------------------


@tenant_view(Capability.VIEW_LICENSES)
def access_reviews(request: HttpRequest) -> HttpResponse:
    reviews = selectors.open_access_reviews(continuum=request.continuum, user=request.user)
    may_decide = {r.pk: Role.ATA in request.access.roles_in_agency(r.agency_id) for r in reviews}
    return render(
        request,
        "access_requests/access_reviews.html",
        {
            "reviews": [(r, may_decide[r.pk]) for r in reviews],
            "may_open": request.access.can(Capability.ISSUE_CREDENTIALS),
        },
    )


@tenant_view(Capability.ISSUE_CREDENTIALS)
@require_POST
def access_review_open(request: HttpRequest) -> HttpResponse:
    opened = access_review.access_review_open(continuum=request.continuum, actor=request.user)
    messages.success(request, f"Opened {len(opened)} access review(s); the ATAs were asked to certify.")
    return redirect("access_reviews", request.continuum.slug)


@tenant_view(Capability.VIEW_LICENSES)
@require_POST
def access_review_decide(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.access_review_item(continuum=request.continuum, user=request.user, item_id=item_id)
    try:
        access_review.access_review_decide(
            item=item, actor=request.user, decision=request.POST.get("decision", "")
        )
        messages.success(request, f"Recorded for {item.account.full_name or item.account.email}.")
    except (ValidationError, RequestConflict) as error:
        messages.error(
            request, " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        )
    return redirect("access_reviews", request.continuum.slug)


# --- Coordinated Entry team: Housing Resource Specialists --------------------------------------------


@tenant_view(Capability.REVIEW_CE_REQUESTS)
def ce_approvals(request: HttpRequest) -> HttpResponse:
    queue = selectors.ce_approval_queue(continuum=request.continuum, user=request.user)
    return render(request, "access_requests/ce_approvals.html", queue)


@tenant_view(Capability.REVIEW_CE_REQUESTS)
def ce_approval(request: HttpRequest, onboarding_id: int) -> HttpResponse:
    continuum = request.continuum
    ob = selectors.onboarding_for_ce(continuum=continuum, user=request.user, onboarding_id=onboarding_id)
    form = CeDeclineForm(request.POST if request.POST.get("decision") == "decline" else None)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                hrs.hrs_ce_approve(onboarding=ob, actor=request.user)
                messages.success(
                    request, f"{ob.person.full_name} is approved; the person and their ATA were told."
                )
                return redirect("ce_approvals", continuum.slug)
            if decision == "decline":
                if form.is_valid():
                    hrs.hrs_ce_decline(onboarding=ob, actor=request.user, reason=form.cleaned_data["reason"])
                    messages.success(
                        request, f"{ob.person.full_name} was declined; the person and their ATA were told."
                    )
                    return redirect("ce_approvals", continuum.slug)
            else:
                errors.append("Choose to approve or decline.")
        except ValidationError as error:
            if form.is_bound:
                _errors(form, error)
            else:
                errors.extend(error.messages)
        except (RequestConflict, PermissionDenied) as error:
            errors.append(str(error))
        status = 400
    signatures = list(ob.signatures.all())
    return render(
        request,
        "access_requests/ce_approval.html",
        {
            "onboarding": ob,
            "hrs_signature": next((s for s in signatures if s.version.kind == AgreementKind.HRS), None),
            "eua_signature": next((s for s in signatures if s.version.kind == AgreementKind.END_USER), None),
            "problem": hrs.ce_decision_problem(ob),
            "approval_problem": hrs.ce_approval_problem(ob),
            "pending": ob.ce_decision == CeDecision.PENDING,
            "form": form,
            "errors": errors,
        },
        status=status,
    )
