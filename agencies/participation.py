"""Whether an agency may take part: its agreements' standing and the gates other apps call.

`agency_can_submit_access_requests(agency)` answers "may this agency file access requests?" with
the reasons an ATA can act on (what is missing, who must act); `ensure_agency_can_submit_access_requests`
raises `AgencyNotEligible` with the same reasons. Access-request services call the guard, so the rule
holds however the request arrives (page, API, task), not only where a button is hidden.

*Current* (seed 001: "a current, signed APA") means fully executed — signed by the agency and, where
the CoC countersigns, countersigned — not past its expiry date, and on a version the CoC still accepts.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from hmis_onboarding.permissions import Role

from .models import (
    Agency,
    Agreement,
    AgreementStatus,
    AgreementType,
    AgreementVersion,
    Continuum,
    Gate,
    HmisProject,
    HrsHost,
    HrsHostStatus,
)


class Standing:
    """Where an agency stands with one agreement type (for pages, the API and the public list)."""

    CURRENT = "current"
    EXPIRING = "expiring"
    AWAITING_COUNTERSIGNATURE = "awaiting_countersignature"
    EXPIRED = "expired"
    RESIGN_REQUIRED = "resign_required"
    RETURNED = "returned"
    NEVER_SIGNED = "never_signed"

    LABELS = {
        CURRENT: "Current",
        EXPIRING: "Current — expires soon",
        AWAITING_COUNTERSIGNATURE: "Signed — awaiting countersignature",
        EXPIRED: "Expired",
        RESIGN_REQUIRED: "New version must be signed",
        RETURNED: "Returned — must be signed again",
        NEVER_SIGNED: "Not signed",
    }
    # USWDS tag / alert flavour per standing, so colour is never the only signal (text says it too).
    TONES = {
        CURRENT: "success",
        EXPIRING: "warning",
        AWAITING_COUNTERSIGNATURE: "info",
        EXPIRED: "error",
        RESIGN_REQUIRED: "error",
        RETURNED: "error",
        NEVER_SIGNED: "error",
    }
    COUNTING = frozenset({CURRENT, EXPIRING})
    CHOICES = list(LABELS.items())


def today_in(continuum: Continuum) -> datetime.date:
    return timezone.now().astimezone(continuum.tzinfo).date()


@dataclass
class TypeVersions:
    """The published versions of one agreement type, newest first."""

    versions: list[AgreementVersion]

    @property
    def latest(self) -> AgreementVersion | None:
        return self.versions[0] if self.versions else None

    def outdated_on(self, version: AgreementVersion, on: datetime.date) -> AgreementVersion | None:
        """The newer version that makes `version` stop counting on `on`, if any."""
        for newer in self.versions:
            if newer.number <= version.number:
                break
            if newer.requires_resign and (newer.resign_by is None or newer.resign_by < on):
                return newer
        return None

    def resign_pending(self, version: AgreementVersion, on: datetime.date) -> AgreementVersion | None:
        """A newer version that must be signed by a deadline still ahead."""
        for newer in self.versions:
            if newer.number <= version.number:
                break
            if newer.requires_resign and newer.resign_by is not None and newer.resign_by >= on:
                return newer
        return None


@dataclass
class AgreementStanding:
    agency: Agency
    agreement_type: AgreementType
    state: str
    current: Agreement | None = None
    pending: Agreement | None = None
    latest: Agreement | None = None
    # The day the current agreement stops counting: its expiry or a re-sign deadline, whichever is first.
    counts_until: datetime.date | None = None
    resign_version: AgreementVersion | None = None

    @property
    def label(self) -> str:
        return Standing.LABELS[self.state]

    @property
    def tone(self) -> str:
        return Standing.TONES[self.state]

    @property
    def counts(self) -> bool:
        return self.state in Standing.COUNTING

    @property
    def is_expiring(self) -> bool:
        return self.state == Standing.EXPIRING


def _versions_by_type(types: Iterable[AgreementType]) -> dict[int, TypeVersions]:
    ids = [t.pk for t in types]
    grouped: dict[int, list[AgreementVersion]] = defaultdict(list)
    for version in AgreementVersion.objects.filter(agreement_type_id__in=ids).order_by("-number"):
        grouped[version.agreement_type_id].append(version)
    return {pk: TypeVersions(grouped.get(pk, [])) for pk in ids}


def _standing(
    agency: Agency,
    agreement_type: AgreementType,
    agreements: list[Agreement],
    versions: TypeVersions,
    on: datetime.date,
    warn_days: int,
) -> AgreementStanding:
    """`agreements`: this agency's agreements of this type, newest first."""
    result = AgreementStanding(agency=agency, agreement_type=agreement_type, state=Standing.NEVER_SIGNED)
    result.latest = agreements[0] if agreements else None
    for agreement in agreements:
        if agreement.status == AgreementStatus.AWAITING_COUNTERSIGNATURE and result.pending is None:
            result.pending = agreement
        if result.current is None and agreement.status in (AgreementStatus.EXECUTED, AgreementStatus.EXPIRED):
            not_expired = agreement.expires_on is None or agreement.expires_on >= on
            if (
                agreement.status == AgreementStatus.EXECUTED
                and not_expired
                and versions.outdated_on(agreement.version, on) is None
            ):
                result.current = agreement
    if result.current is not None:
        ends = [d for d in (result.current.expires_on,) if d]
        pending_version = versions.resign_pending(result.current.version, on)
        if pending_version is not None:
            result.resign_version = pending_version
            ends.append(pending_version.resign_by)
        result.counts_until = min(ends) if ends else None
        soon = result.counts_until is not None and (result.counts_until - on).days <= warn_days
        result.state = Standing.EXPIRING if soon else Standing.CURRENT
        return result
    if result.pending is not None:
        result.state = Standing.AWAITING_COUNTERSIGNATURE
        return result
    last_executed = next(
        (a for a in agreements if a.status in (AgreementStatus.EXECUTED, AgreementStatus.EXPIRED)), None
    )
    if last_executed is not None:
        newer = versions.outdated_on(last_executed.version, on)
        expired = last_executed.expires_on is not None and last_executed.expires_on < on
        if newer is not None and not expired:
            result.state = Standing.RESIGN_REQUIRED
            result.resign_version = newer
        else:
            result.state = Standing.EXPIRED
        return result
    if result.latest is not None and result.latest.status == AgreementStatus.RETURNED:
        result.state = Standing.RETURNED
    return result


def agreement_standings(
    *,
    continuum: Continuum,
    agencies: Iterable[Agency],
    agreement_types: Iterable[AgreementType] | None = None,
    on: datetime.date | None = None,
) -> dict[int, dict[int, AgreementStanding]]:
    """{agency id: {agreement type id: standing}} in a fixed number of queries, for lists of agencies."""
    agencies = list(agencies)
    on = on or today_in(continuum)
    if agreement_types is None:
        agreement_types = AgreementType.objects.filter(continuum=continuum, is_active=True)
    types = list(agreement_types)
    versions = _versions_by_type(types)
    rows: dict[tuple[int, int], list[Agreement]] = defaultdict(list)
    agreements = (
        Agreement.objects.filter(
            continuum=continuum,
            agency_id__in=[a.pk for a in agencies],
            agreement_type_id__in=[t.pk for t in types],
        )
        .exclude(status=AgreementStatus.SUPERSEDED)
        .order_by("-signed_at", "-id")
    )
    # The types and their versions are loaded already: attach them rather than join them to every
    # agreement (a version carries the agreement's whole text).
    types_by_id = {t.pk: t for t in types}
    versions_by_id = {v.pk: v for tv in versions.values() for v in tv.versions}
    for agreement in agreements:
        agreement.agreement_type = types_by_id[agreement.agreement_type_id]
        if agreement.version_id in versions_by_id:
            agreement.version = versions_by_id[agreement.version_id]
        rows[(agreement.agency_id, agreement.agreement_type_id)].append(agreement)
    warn_days = continuum.agreement_warning_days
    return {
        agency.pk: {
            t.pk: _standing(agency, t, rows.get((agency.pk, t.pk), []), versions[t.pk], on, warn_days)
            for t in types
        }
        for agency in agencies
    }


@dataclass(slots=True)
class _TypeRow:
    """The fields of an agreement type that a standing reads (`pk`, `name`, `short_name`, `gates`)."""

    pk: int
    name: str
    short_name: str
    gates: list[str]


@dataclass(slots=True)
class _VersionRow:
    """The fields of an agreement version that a standing reads (never its `body`, the whole text)."""

    pk: int
    number: int
    label: str
    requires_resign: bool
    resign_by: datetime.date | None


@dataclass(slots=True)
class _AgreementRow:
    """The fields of an agreement that a standing reads."""

    pk: int
    status: str
    expires_on: datetime.date | None
    version: _VersionRow | None


def list_standings(
    *, continuum: Continuum, rows: Iterable[Mapping[str, Any]], on: datetime.date | None = None
) -> dict[int, dict[int, AgreementStanding]]:
    """`agreement_standings` for a page of the API's agency list, from the page's rows of
    `selectors.agency_page_rows` (which carry each agency's agreements): the same `_standing` rule on
    plain rows instead of model instances, plus one query for the active types and their versions.
    The standings' `agency` is the agency's id and `agreement_type` / `current` / `pending` /
    `latest` / `resign_version` carry only the fields above; `tests/agencies/test_api.py` checks the
    list built from them equals the serializer's output built from `agreement_standings`."""
    rows = list(rows)
    if not rows:
        return {}
    on = on or today_in(continuum)
    types: dict[int, _TypeRow] = {}
    grouped: dict[int, list[_VersionRow]] = defaultdict(list)
    # One row per (type, version), or (type, NULL) for a type without a published version yet.
    for row in (
        AgreementType.objects.filter(continuum=continuum, is_active=True)
        .order_by("name", "pk", "-versions__number")
        .values_list(
            "pk",
            "name",
            "short_name",
            "gates",
            "versions__pk",
            "versions__number",
            "versions__label",
            "versions__requires_resign",
            "versions__resign_by",
        )
    ):
        type_id = row[0]
        if type_id not in types:
            types[type_id] = _TypeRow(type_id, row[1], row[2], row[3])
        if row[4] is not None:
            grouped[type_id].append(_VersionRow(*row[4:]))
    versions = {pk: TypeVersions(grouped.get(pk, [])) for pk in types}
    versions_by_id = {v.pk: v for tv in versions.values() for v in tv.versions}
    warn_days = continuum.agreement_warning_days
    result: dict[int, dict[int, AgreementStanding]] = {}
    for row in rows:
        by_type: dict[int, list[_AgreementRow]] = defaultdict(list)
        for pk, type_id, version_id, status, expires_on in row["agreements"]:
            if type_id in types:
                by_type[type_id].append(_AgreementRow(pk, status, expires_on, versions_by_id.get(version_id)))
        agency_id = row["id"]
        result[agency_id] = {
            t.pk: _standing(agency_id, t, by_type.get(t.pk, []), versions[t.pk], on, warn_days)  # type: ignore[arg-type]
            for t in types.values()
        }
    return result


def agency_standings(agency: Agency, *, on: datetime.date | None = None) -> list[AgreementStanding]:
    by_type = agreement_standings(continuum=agency.continuum, agencies=[agency], on=on)[agency.pk]
    return sorted(by_type.values(), key=lambda s: s.agreement_type.name)


# --- Gates -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One thing standing in the way, worded for the ATA: what is missing and who must act."""

    code: str
    message: str
    who_must_act: str
    agreement_type_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "who_must_act": self.who_must_act,
            "agreement_type_id": self.agreement_type_id,
        }


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reasons: tuple[Reason, ...] = ()
    # Allowed today but not for long (an agreement expires within the warning window).
    warnings: tuple[Reason, ...] = ()
    standings: tuple[AgreementStanding, ...] = field(default=(), compare=False)

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def summary(self) -> str:
        return " ".join(r.message for r in self.reasons)


class AgencyNotEligible(PermissionDenied):
    """Raised by the guards; carries the Eligibility so callers can show every reason."""

    def __init__(self, eligibility: Eligibility, action: str) -> None:
        self.eligibility = eligibility
        super().__init__(f"{action} is not possible yet: {eligibility.summary}")


def _signers_phrase(agreement_type: AgreementType, agency: Agency) -> str:
    roles = (
        " or ".join(Role(r).label.lower() for r in agreement_type.signer_roles) or "authorized representative"
    )
    return f"The {roles} of {agency.name}"


def _countersigners_phrase(agreement_type: AgreementType, continuum: Continuum) -> str:
    roles = " or ".join(Role(r).label for r in agreement_type.countersigner_roles) or "CoC staff"
    return f"{continuum.hmis_lead_name or continuum.name} ({roles})"


def _standing_reason(standing: AgreementStanding) -> Reason:
    t, agency = standing.agreement_type, standing.agency
    signers = _signers_phrase(t, agency)
    name = f"{t.name} ({t.short_name})" if t.short_name and t.short_name != t.name else t.name
    if standing.state == Standing.AWAITING_COUNTERSIGNATURE:
        return Reason(
            "awaiting_countersignature",
            f"The {name} is signed but not yet countersigned by the CoC.",
            _countersigners_phrase(t, agency.continuum),
            t.pk,
        )
    if standing.state == Standing.EXPIRED:
        expired = standing.latest.expires_on if standing.latest else None
        when = f" on {expired:%B %-d, %Y}" if expired else ""
        return Reason(
            "agreement_expired", f"The {name} expired{when} and must be signed again.", signers, t.pk
        )
    if standing.state == Standing.RESIGN_REQUIRED:
        label = standing.resign_version.label if standing.resign_version else "a newer"
        return Reason(
            "agreement_resign_required",
            f"The CoC published version {label} of the {name}; it must be signed again.",
            signers,
            t.pk,
        )
    if standing.state == Standing.RETURNED:
        reason = standing.latest.returned_reason if standing.latest else ""
        return Reason(
            "agreement_returned",
            f"The CoC returned the signed {name}" + (f": {reason}" if reason else "") + ". Sign it again.",
            signers,
            t.pk,
        )
    return Reason("agreement_missing", f"There is no signed {name}.", signers, t.pk)


def _expiry_warning(standing: AgreementStanding) -> Reason:
    t = standing.agreement_type
    until = standing.counts_until
    if standing.resign_version is not None and standing.resign_version.resign_by == until:
        what = f"version {standing.resign_version.label} of the {t.name} must be signed by {until:%B %-d, %Y}"
    else:
        what = f"the {t.name} expires on {until:%B %-d, %Y}" if until else f"the {t.name} expires soon"
    return Reason(
        "agreement_expiring",
        f"{what[0].upper()}{what[1:]}. Renew it to keep filing requests without interruption.",
        _signers_phrase(t, standing.agency),
        t.pk,
    )


def _vsp_reason(agency: Agency) -> Reason:
    continuum = agency.continuum
    contact = continuum.vsp_ce_contact_email or continuum.ce_team_email
    where = f" Contact {contact}." if contact else ""
    return Reason(
        "victim_service_provider",
        "Victim service providers do not enter client data into HMIS; your staff use the CoC's separate "
        f"Coordinated Entry process instead.{where}",
        "Nobody: this path does not apply to victim service providers",
    )


def agency_gate(agency: Agency, gate: str, *, on: datetime.date | None = None) -> Eligibility:
    """Agreements only: every active agreement type that gates `gate` must be current."""
    continuum = agency.continuum
    # By name (the model's order within one CoC, without joining the CoC to sort by its name).
    types = [
        t
        for t in AgreementType.objects.filter(continuum=continuum, is_active=True).order_by("name", "pk")
        if gate in t.gates
    ]
    standings = list(
        agreement_standings(continuum=continuum, agencies=[agency], agreement_types=types, on=on)[
            agency.pk
        ].values()
    )
    reasons = tuple(_standing_reason(s) for s in standings if not s.counts)
    warnings = tuple(_expiry_warning(s) for s in standings if s.is_expiring)
    return Eligibility(allowed=not reasons, reasons=reasons, warnings=warnings, standings=tuple(standings))


def _program_setup_reason(agency: Agency) -> Reason | None:
    if not agency.continuum.access_requires_program_setup:
        return None
    ready = HmisProject.objects.filter(agency=agency, is_active=True).filter(
        Q(setup_confirmed_at__isnull=False) | Q(ces_program_type="permanent_housing")
    )
    if ready.exists():
        return None
    return Reason(
        "program_setup_missing",
        "No HMIS program of the agency is set up and confirmed yet "
        "(step 2 comes before training and access). File a program setup request; "
        "the implementation team sets it up and your program manager confirms it.",
        f"The program manager of {agency.name}, then the HMIS implementation team",
    )


def agency_can_submit_access_requests(agency: Agency, *, on: datetime.date | None = None) -> Eligibility:
    """May this agency file HMIS access requests today? With every reason why not, for the ATA."""
    if agency.victim_service_provider:
        return Eligibility(allowed=False, reasons=(_vsp_reason(agency),))
    pre: list[Reason] = []
    if not agency.hmis_participating:
        pre.append(
            Reason(
                "not_hmis_participating",
                "The agency is not recorded as HMIS-participating. Only agencies already in the HMIS can "
                "file access requests; ask the HMIS Lead about onboarding the agency first.",
                agency.continuum.hmis_lead_name or "The HMIS Lead",
            )
        )
    gate = agency_gate(agency, Gate.SUBMIT_ACCESS_REQUESTS, on=on)
    reasons = [*pre, *gate.reasons]
    setup = _program_setup_reason(agency)
    if setup is not None:
        reasons.append(setup)
    return Eligibility(
        allowed=not reasons, reasons=tuple(reasons), warnings=gate.warnings, standings=gate.standings
    )


def ensure_agency_can_submit_access_requests(
    agency: Agency, *, on: datetime.date | None = None
) -> Eligibility:
    """The guard for access-request services: raises AgencyNotEligible with the reasons."""
    eligibility = agency_can_submit_access_requests(agency, on=on)
    if not eligibility.allowed:
        raise AgencyNotEligible(eligibility, "Filing an access request")
    return eligibility


def hrs_host_eligibility(
    agency: Agency, *, exception_reason: str = "", on: datetime.date | None = None
) -> Eligibility:
    """Seed 000: direct services, current APA, CoC member, and HMIS data entry or a recorded exception."""
    if agency.victim_service_provider:
        return Eligibility(allowed=False, reasons=(_vsp_reason(agency),))
    ce = agency.continuum.hmis_lead_name or "The CE team"
    reasons: list[Reason] = []
    if not agency.direct_services_provider:
        reasons.append(
            Reason(
                "no_direct_services",
                "Housing Resource Specialists must be affiliated with an organisation "
                "providing direct services "
                "to people experiencing homelessness.",
                ce,
            )
        )
    if not agency.coc_member:
        reasons.append(Reason("not_coc_member", "Hosting organisations should be members of the CoC.", ce))
    if not agency.hmis_participating and not exception_reason.strip():
        reasons.append(
            Reason(
                "no_hmis_or_exception",
                "The agency does not enter HMIS data; the CE team may grant an exception (for example for an "
                "organisation experienced with an electronic health record) and must record its reason.",
                "The Coordinated Entry team",
            )
        )
    gate = agency_gate(agency, Gate.HOST_HRS, on=on)
    reasons.extend(gate.reasons)
    return Eligibility(
        allowed=not reasons, reasons=tuple(reasons), warnings=gate.warnings, standings=gate.standings
    )


def agency_is_hrs_host(agency: Agency, *, on: datetime.date | None = None) -> bool:
    """Approved by the CE team and still meeting the agreement gate (an expired APA suspends hosting)."""
    host = HrsHost.objects.filter(agency=agency, status=HrsHostStatus.APPROVED).first()
    if host is None:
        return False
    return hrs_host_eligibility(agency, exception_reason=host.exception_reason, on=on).allowed
