"""Access-request pages: the ATA's requests and form, the request page, and the review queues."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from agencies.participation import agency_can_submit_access_requests
from hmis_onboarding.decorators import tenant_view
from hmis_onboarding.exports import csv_response, pdf_response
from hmis_onboarding.permissions import Capability
from rollout.gates import request_submission_closed_reason

from . import selectors, services
from .advice import advise, ces_access
from .filters import QueueFilter
from .forms import (
    AnswerForm,
    ApproveForm,
    AssignForm,
    DraftForm,
    NewRequestForm,
    PasteForm,
    PersonForm,
    QuestionForm,
    RejectForm,
    ReturnForm,
)
from .models import Queue, RequestStatus
from .selectors import SlaState

QUEUE_SLUGS = {"help-desk": Queue.HELP_DESK, "ce-team": Queue.CE_TEAM}
QUEUE_PAGE_SIZE = 50


def _paged(request: HttpRequest, rows, *, count: int | None = None) -> tuple:
    """A page of QUEUE_PAGE_SIZE rows (a page past the end shows the last) and the query string
    that keeps the filters and sort in the Previous / Next links (without `page` and `format`).
    `count`, when the caller already knows how many rows match, saves the paginator's COUNT."""
    paginator = Paginator(rows, QUEUE_PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not queried
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("page", None)
    return page, query.urlencode()


def _detail_url(request: HttpRequest, req) -> str:
    return reverse("request_detail", args=[request.continuum.slug, req.pk])


REQUEST_CSV_HEADER = [
    "id",
    "agency",
    "form",
    "queue",
    "status",
    "sla",
    "sla_due_on",
    "submitted_at",
    "decided_at",
    "people",
    "assignee",
]


def _requests_csv(request: HttpRequest, requests_, name: str):
    """The list as CSV: every matching row (no page cap), streamed in chunks."""
    sla_labels = SlaState.LABELS
    return csv_response(
        filename=f"{name}-{request.continuum.slug}",
        header=REQUEST_CSV_HEADER,
        rows=requests_.iterator(chunk_size=500),
        row=lambda r: [
            r.pk,
            r.agency.name,
            r.request_type.name,
            r.get_queue_display(),
            r.get_status_display(),
            sla_labels.get(r.sla_state, r.sla_state),
            r.sla_due_on.isoformat() if r.sla_due_on else "",
            r.submitted_at.isoformat() if r.submitted_at else "",
            r.decided_at.isoformat() if r.decided_at else "",
            r.people_count,
            r.assignee.email if r.assignee_id else "",
        ],
    )


@tenant_view(Capability.VIEW_REQUESTS)
def request_list(request: HttpRequest) -> HttpResponse:
    requests_ = selectors.request_list(continuum=request.continuum, user=request.user)
    status = request.GET.get("status", "")
    if status in RequestStatus.values:
        requests_ = requests_.filter(status=status)
    if request.GET.get("format") == "csv":
        return _requests_csv(request, requests_, "access-requests")
    agencies = selectors.filer_agencies(continuum=request.continuum, user=request.user)
    gates = {a.pk: agency_can_submit_access_requests(a) for a in agencies}
    # Pages of 50, newest first, with the number of requests (the status filter kept in the links).
    page, query = _paged(request, selectors.page_rows(requests_))
    return render(
        request,
        "access_requests/list.html",
        {
            "requests": page,
            "page": page,
            "query": query,
            "status": status,
            "statuses": RequestStatus.choices,
            "can_file": bool(agencies),
            "gates": [(a, gates[a.pk]) for a in agencies],
        },
    )


@tenant_view(Capability.FILE_ACCESS_REQUESTS)
def request_new(request: HttpRequest) -> HttpResponse:
    continuum = request.continuum
    agencies = selectors.filer_agencies(continuum=continuum, user=request.user)
    if not agencies.exists():
        raise PermissionDenied("Only an agency's Technical Administrators file access requests.")
    form = NewRequestForm(
        request.POST or None, request_types=selectors.request_types(continuum=continuum), agencies=agencies
    )
    if request.method == "POST" and form.is_valid():
        try:
            req = services.access_request_create(
                agency=form.cleaned_data["agency"],
                actor=request.user,
                request_type=form.cleaned_data["request_type"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Draft started. Add the people, their projects and responsibilities.")
            return redirect(_detail_url(request, req))
    gates = [(a, agency_can_submit_access_requests(a)) for a in agencies]
    context = {
        "form": form,
        "gates": gates,
        "agencies": agencies,
        "forms_closed": request_submission_closed_reason(continuum),
    }
    return render(request, "access_requests/new.html", context)


@tenant_view(Capability.FILE_ACCESS_REQUESTS)
def request_advice(request: HttpRequest) -> HttpResponse:
    """Which form fits this person? Answered as the ATA types an e-mail (htmx) or on submit."""
    email = request.GET.get("email", "").strip()[:254]
    agencies = selectors.filer_agencies(continuum=request.continuum, user=request.user)
    agency = agencies.filter(pk=request.GET.get("agency") or 0).first() or agencies.first()
    advice = (
        advise(continuum=request.continuum, agency=agency, email=email)
        if (email and agency and "@" in email)
        else None
    )
    template = "access_requests/_advice.html" if request.htmx else "access_requests/advice_page.html"
    return render(request, template, {"advice": advice, "email": email})


def _detail_context(request: HttpRequest, req, **forms) -> dict:
    continuum, user = request.continuum, request.user
    may_file = services.may_file(user, req.agency)
    may_review = (
        services.may_review(user, req) and req.submitted_by_id != user.pk and req.created_by_id != user.pk
    )
    people = list(req.people.select_related("suggested_type"))
    projects = list(req.projects.all())
    roles = list(req.ces_roles.all())
    context = {
        "req": req,
        "people": people,
        "projects": projects,
        "ces_roles": roles,
        "ces_access": ces_access(roles) if req.request_type.uses_ces_roles else None,
        "thread": selectors.request_messages(access_request=req),
        "may_file": may_file,
        "may_review": may_review,
        "history": _history(request, req),
    }
    if req.is_editable and may_file:
        context["draft_form"] = forms.get("draft_form") or DraftForm(
            initial={
                "responsibilities": req.responsibilities,
                "read_only": req.read_only,
                "projects": projects,
                "ces_roles": roles,
            },
            projects=selectors.agency_projects(continuum=continuum, user=user, agency_id=req.agency_id),
            ces_roles=selectors.ces_roles(continuum=continuum)
            if req.request_type.uses_ces_roles
            else selectors.ces_roles(continuum=continuum).none(),
        )
        context["person_form"] = forms.get("person_form") or PersonForm()
        context["paste_form"] = forms.get("paste_form") or PasteForm()
        context["problems"] = services.submission_problems(req)
        context["gate"] = agency_can_submit_access_requests(req.agency)
        context["mismatches"] = [
            p for p in people if p.suggested_type_id and p.suggested_type_id != req.request_type_id
        ]
    if req.status == RequestStatus.INFO_REQUESTED and may_file:
        context["answer_form"] = forms.get("answer_form") or AnswerForm()
    if req.status == RequestStatus.RETURNED and may_file and not hasattr(req, "resubmission"):
        context["can_refile"] = True
    if may_review and req.is_open:
        other_types = selectors.request_types(continuum=continuum).exclude(pk=req.request_type_id)
        context.update(
            question_form=forms.get("question_form") or QuestionForm(),
            return_form=forms.get("return_form") or ReturnForm(request_types=other_types),
            reject_form=forms.get("reject_form") or RejectForm(),
            approve_form=forms.get("approve_form") or ApproveForm(),
            assign_form=AssignForm(
                initial={"assignee": req.assignee_id},
                reviewers=selectors.reviewers(continuum=continuum, queue=req.queue).exclude(
                    pk=req.created_by_id
                ),
            ),
            checklist=[
                (key, label, getattr(req, field)) for key, (field, label) in services.CHECKLIST_STEPS.items()
            ]
            if req.queue == Queue.HELP_DESK
            else [],
            approval_problems=services.approval_problems(req),
        )
    return context


def _history(request: HttpRequest, req) -> list:
    from agencies.selectors import object_history

    return object_history(continuum=request.continuum, user=request.user, obj=req)


@tenant_view(Capability.VIEW_REQUESTS)
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    req = selectors.request_get(continuum=request.continuum, user=request.user, request_id=request_id)
    return render(request, "access_requests/detail.html", _detail_context(request, req))


@tenant_view(Capability.VIEW_REQUESTS)
def request_summary_pdf(request: HttpRequest, request_id: int) -> HttpResponse:
    """The request's summary as a PDF, for whoever may see the request (anyone else: 404)."""
    from .documents import request_summary_pdf as render_summary

    continuum, user = request.continuum, request.user
    req = selectors.request_get(continuum=continuum, user=user, request_id=request_id)
    content = render_summary(continuum=continuum, user=user, access_request=req)
    return pdf_response(content, filename=f"access-request-{req.pk}-{slugify(req.agency.name)}.pdf")


def _bound(form_class, request: HttpRequest, **kwargs):
    form = form_class(request.POST, **kwargs)
    return form, form.is_valid()


@require_POST
@tenant_view(Capability.VIEW_REQUESTS)
def request_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    """Every button on the request page posts here; the service decides whether it is allowed."""
    continuum, user = request.continuum, request.user
    req = selectors.request_get(continuum=continuum, user=user, request_id=request_id)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("No such action.")
    try:
        outcome = handler(request, req)
    except ValidationError as error:
        form_name, form = getattr(error, "form_name", None), getattr(error, "form", None)
        if form is not None:
            for field, errs in (
                error.error_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
            ):
                for err in errs:
                    form.add_error(field if field in form.fields else None, err)
            context = _detail_context(request, req, **{form_name: form})
            return render(request, "access_requests/detail.html", context, status=400)
        for message in error.messages:
            messages.error(request, message)
        return redirect(_detail_url(request, req))
    except services.RequestConflict as conflict:
        messages.error(request, str(conflict))
        return redirect(_detail_url(request, req))
    if isinstance(outcome, HttpResponse):
        return outcome
    return redirect(_detail_url(request, req))


def _with_form(error: ValidationError, form_name: str, form) -> ValidationError:
    error.form_name, error.form = form_name, form  # type: ignore[attr-defined]
    return error


def _save(request, req):
    form = DraftForm(
        request.POST,
        projects=selectors.agency_projects(
            continuum=request.continuum, user=request.user, agency_id=req.agency_id
        ),
        ces_roles=selectors.ces_roles(continuum=request.continuum),
    )
    if not form.is_valid():
        raise _with_form(ValidationError(form.errors.as_data()), "draft_form", form)
    try:
        services.access_request_update_draft(
            access_request=req,
            actor=request.user,
            read_only=form.cleaned_data["read_only"],
            responsibilities=form.cleaned_data["responsibilities"],
            projects=list(form.cleaned_data["projects"]),
            ces_roles=list(form.cleaned_data["ces_roles"]),
        )
    except ValidationError as error:
        raise _with_form(error, "draft_form", form) from error
    messages.success(request, "Draft saved.")


def _add_person(request, req):
    form = PersonForm(request.POST)
    if not form.is_valid():
        raise _with_form(ValidationError(form.errors.as_data()), "person_form", form)
    try:
        person = services.requested_person_add(access_request=req, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        raise _with_form(error, "person_form", form) from error
    messages.success(request, f"Added {person.full_name}. {person.suggestion_reason}")


def _paste_people(request, req):
    form = PasteForm(request.POST)
    if not form.is_valid():
        raise _with_form(ValidationError(form.errors.as_data()), "paste_form", form)
    people, errors = services.parse_people(form.cleaned_data["pasted"])
    added = 0
    for person in people:
        try:
            services.requested_person_add(
                access_request=req,
                actor=request.user,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
            )
            added += 1
        except ValidationError as error:
            errors.extend(f"{person.email}: {m}" for m in error.messages)
    if added:
        messages.success(request, f"Added {added} {'person' if added == 1 else 'people'}.")
    if errors:
        raise _with_form(ValidationError(errors), "paste_form", form)


def _remove_person(request, req):
    person = req.people.filter(pk=request.POST.get("person") or 0).first()
    if person is None:
        raise ValidationError("That person is not in this request.")
    services.requested_person_remove(person=person, actor=request.user)
    messages.success(request, f"Removed {person.full_name}.")


def _submit(request, req):
    services.access_request_submit(access_request=req, actor=request.user)
    messages.success(request, "Request submitted. You will be told of every step by e-mail and on this page.")


def _withdraw(request, req):
    services.access_request_withdraw(access_request=req, actor=request.user)
    messages.success(request, "Request withdrawn.")


def _claim(request, req):
    services.access_request_claim(access_request=req, reviewer=request.user)
    messages.success(request, "The request is yours.")


def _assign(request, req):
    form, ok = _bound(
        AssignForm, request, reviewers=selectors.reviewers(continuum=request.continuum, queue=req.queue)
    )
    if not ok:
        raise ValidationError("Choose someone on the team.")
    services.access_request_assign(
        access_request=req, actor=request.user, assignee=form.cleaned_data["assignee"]
    )
    messages.success(request, "Assignment saved.")


def _checklist(request, req):
    services.access_request_confirm_step(
        access_request=req,
        reviewer=request.user,
        step=request.POST.get("step", ""),
        done=request.POST.get("done", "1") == "1",
    )


def _request_info(request, req):
    form = QuestionForm(request.POST)
    if not form.is_valid():
        raise _with_form(ValidationError(form.errors.as_data()), "question_form", form)
    services.access_request_request_info(
        access_request=req, reviewer=request.user, question=form.cleaned_data["question"]
    )
    messages.success(request, "Question sent to the ATA. The SLA clock is paused until they answer.")


def _answer(request, req):
    form = AnswerForm(request.POST)
    if not form.is_valid():
        raise _with_form(ValidationError(form.errors.as_data()), "answer_form", form)
    services.access_request_answer(access_request=req, actor=request.user, answer=form.cleaned_data["answer"])
    messages.success(request, "Answer sent. The request is back with the reviewers.")


def _return(request, req):
    form = ReturnForm(
        request.POST,
        request_types=selectors.request_types(continuum=request.continuum).exclude(pk=req.request_type_id),
    )
    if not form.is_valid():
        raise _with_form(ValidationError(form.errors.as_data()), "return_form", form)
    services.access_request_return(access_request=req, reviewer=request.user, **form.cleaned_data)
    messages.success(request, "Returned: the ATA can re-file it through the correct form in one click.")


def _refile(request, req):
    new, problems = services.access_request_refile(access_request=req, actor=request.user)
    if problems:
        messages.warning(request, "Re-filed as a draft. Before it can be submitted: " + " ".join(problems))
    else:
        messages.success(request, f"Re-filed and submitted as “{new.request_type.short_name}”.")
    return redirect(_detail_url(request, new))


def _reject(request, req):
    form = RejectForm(request.POST)
    if not form.is_valid():
        raise _with_form(ValidationError(form.errors.as_data()), "reject_form", form)
    services.access_request_reject(
        access_request=req, reviewer=request.user, reason=form.cleaned_data["reason"]
    )
    messages.success(request, "Request rejected; the ATA has been told why.")


def _approve(request, req):
    form = ApproveForm(request.POST)
    form.is_valid()
    services.access_request_approve(
        access_request=req, reviewer=request.user, note=form.cleaned_data.get("note", "")
    )
    messages.success(request, "Approved. Each person's onboarding has started.")


ACTIONS: dict[str, Callable] = {
    "save": _save,
    "add-person": _add_person,
    "paste-people": _paste_people,
    "remove-person": _remove_person,
    "submit": _submit,
    "withdraw": _withdraw,
    "claim": _claim,
    "assign": _assign,
    "checklist": _checklist,
    "request-info": _request_info,
    "answer": _answer,
    "return": _return,
    "refile": _refile,
    "reject": _reject,
    "approve": _approve,
}


@tenant_view()
def queue(request: HttpRequest, queue_slug: str) -> HttpResponse:
    queue_value = QUEUE_SLUGS.get(queue_slug)
    if queue_value is None:
        raise Http404("No such queue.")
    continuum, user = request.continuum, request.user
    requests_ = selectors.queue_requests(continuum=continuum, user=user, queue=queue_value)
    filters = QueueFilter(
        request.GET,
        queryset=requests_,
        request_types=selectors.request_types(continuum=continuum),
        agencies=selectors.queue_agencies(
            continuum=continuum, user=user, queue=queue_value, keep=request.GET.get("agency", "")
        ),
        user=user,
    )
    valid = filters.is_valid()
    matching = filters.qs if valid else requests_.none()
    if request.GET.get("format") == "csv":
        return _requests_csv(request, matching, f"{queue_slug}-queue")
    counts = selectors.queue_counts(continuum=continuum, user=user).get(queue_value)
    # Pages of 50 with the number matching: unfiltered, that is the queue's open count (read with
    # the other counts); filtered, a count over the queue's open rows (partial index).
    known = counts["open"] if (valid and counts is not None and not filters.narrows()) else None
    page, query = _paged(request, selectors.page_rows(matching), count=known)
    return render(
        request,
        "access_requests/queue.html",
        {
            "queue": Queue(queue_value),
            "filter": filters,
            "rows": page,
            "page": page,
            "counts": counts or {},
            "query": query,
        },
    )
