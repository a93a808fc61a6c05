"""Scale data for benchmarks: CoCs the size of a metro area (or 400 of them), written in bulk.

Every row is a real model's row with the values the services would have written (statuses, dates,
links between request → person → onboarding → account, learning paths computed by the training
app's own `learning_paths_refresh`). Large tables go through PostgreSQL's COPY (psycopg 3's
`cursor.copy`), elsewhere through `bulk_create`; ids are assigned here so related rows can be
written without reading anything back.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.db.models.functions import Mod
from django.utils import timezone

from access_requests import configuration, credential_config
from access_requests.advice import _months_ago
from access_requests.models import (
    AccessRequest,
    AssignmentStatus,
    HmisAccount,
    HmisAccountStatus,
    Onboarding,
    OnboardingStage,
    Queue,
    RequestedPerson,
    RequestStatus,
    RequestType,
    RoundOutcome,
    SampleClientAssignment,
    SampleClientRound,
)
from agencies.demo import DEMO_PARTICIPATION
from agencies.models import (
    Agency,
    Agreement,
    AgreementStatus,
    AgreementType,
    AgreementVersion,
    Continuum,
    HmisProject,
    HrsHost,
    HrsHostStatus,
    Membership,
)
from hmis_onboarding.models import AuditEvent, User
from hmis_onboarding.permissions import Role
from training import services as training_services
from training.models import Course, Enrollment, LearningPath, LmsAccount

MARKER = "(scale data)"
PASSWORD = "bench-password-2026"
EMAIL_DOMAIN = "bench.example.org"


@dataclasses.dataclass(frozen=True)
class Sizes:
    agencies: int
    people: int
    requests: int
    enrollments: int
    audit_events: int

    def scaled(self, factor: float) -> Sizes:
        return Sizes(
            agencies=max(3, round(self.agencies * factor)),
            people=max(12, round(self.people * factor)),
            requests=max(12, round(self.requests * factor)),
            enrollments=max(24, round(self.enrollments * factor)),
            audit_events=max(20, round(self.audit_events * factor)),
        )

    def total(self) -> int:
        return sum(dataclasses.astuple(self))


METRO = Sizes(agencies=900, people=15_000, requests=40_000, enrollments=250_000, audit_events=1_000_000)
NATIONAL_CONTINUUMS = 400
# CoC sizes follow a long tail: the largest is a metro, the n-th has 1/n^0.8 of its size. At
# --scale 1 the 400 CoCs add up to about 11.6 metros (174k people, 2.9M enrolments, 11.6M audit events).
NATIONAL_EXPONENT = 0.8


def profile_sizes(profile: str, scale: float) -> list[Sizes]:
    if profile == "metro":
        return [METRO.scaled(scale)]
    if profile == "national":
        return [METRO.scaled(scale / (i + 1) ** NATIONAL_EXPONENT) for i in range(NATIONAL_CONTINUUMS)]
    raise ValueError(f"Unknown profile {profile!r}: use metro or national.")


class AlreadySeeded(Exception):
    pass


def seeded_continuums() -> int:
    return Continuum.objects.filter(name__endswith=MARKER).count()


# --- Writing rows ---------------------------------------------------------------------------------


class Ids:
    """Hands out primary keys above what each table holds, so related rows can be written at once.

    The services the seeder calls (e.g. the learning-path refresh) also insert rows, through the
    table's sequence; so a range starts above both the ranges already handed out and the table's
    highest key, and on PostgreSQL the sequence is moved past the range at once, so that no insert
    can take a key that was handed out but not yet written."""

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model], count: int) -> range:
        highest = model._default_manager.aggregate(m=Max("pk"))["m"] or 0
        start = max(self._next.get(model, 1), highest + 1)
        self._next[model] = start + count
        if count and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                    [model._meta.db_table, model._meta.pk.column, start + count - 1],
                )
        return range(start, start + count)


def write(model: type[models.Model], rows: Iterable[dict[str, Any]], now: dt.datetime) -> int:
    """Insert rows (dicts keyed by attname, with `id`). Missing fields take the model's default."""
    fields = list(model._meta.concrete_fields)
    defaults: dict[str, Any] = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        elif f.has_default() or not f.null:
            defaults[f.attname] = f.get_default()
        else:
            defaults[f.attname] = None
    if connection.vendor == "postgresql":
        return _copy(model, fields, defaults, rows)
    count = 0
    batch: list[models.Model] = []
    for row in rows:
        batch.append(model(**{**defaults, **row}))
        if len(batch) >= 2000:
            model._default_manager.bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        model._default_manager.bulk_create(batch)
        count += len(batch)
    return count


def _copy(model, fields, defaults, rows) -> int:
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    names = [f.attname for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    default_values = [
        json.dumps(defaults[n]) if n in json_fields and defaults[n] is not None else defaults[n]
        for n in names
    ]
    json_index = [i for i, n in enumerate(names) if n in json_fields]
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = [row[n] if n in row else default_values[i] for i, n in enumerate(names)]
                for i in json_index:
                    if names[i] in row and values[i] is not None:
                        values[i] = json.dumps(values[i])
                copy.write_row(values)
                count += 1
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)
    return count


def write_m2m(field: models.ManyToManyField, pairs: Iterable[tuple[int, int]], ids: Ids, now) -> int:
    through = field.remote_field.through
    source = field.m2m_field_name()
    target = field.m2m_reverse_field_name()
    pairs = list(pairs)
    pks = ids.take(through, len(pairs))
    return write(
        through,
        ({"id": pk, f"{source}_id": a, f"{target}_id": b} for pk, (a, b) in zip(pks, pairs, strict=True)),
        now,
    )


# --- What the data looks like ---------------------------------------------------------------------

FIRST = [
    "Maria",
    "James",
    "Aisha",
    "Robert",
    "Linh",
    "Carlos",
    "Fatima",
    "David",
    "Grace",
    "Omar",
    "Elena",
    "Michael",
    "Keisha",
    "Juan",
    "Priya",
    "Thomas",
    "Rosa",
    "Daniel",
    "Mei",
    "Samuel",
    "Ana",
    "Joseph",
    "Nadia",
    "Luis",
    "Hannah",
    "Kwame",
    "Sofia",
    "Andre",
    "Leah",
    "Marcus",
]
LAST = [
    "Garcia",
    "Johnson",
    "Nguyen",
    "Smith",
    "Hernandez",
    "Williams",
    "Kim",
    "Brown",
    "Lopez",
    "Davis",
    "Patel",
    "Wilson",
    "Martinez",
    "Lee",
    "Thompson",
    "Clark",
    "Rodriguez",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Green",
    "Adams",
    "Baker",
]
AGENCY_WORDS = [
    "Harbor",
    "Bridge",
    "Beacon",
    "Cedar",
    "Lakeview",
    "Unity",
    "Hope",
    "Pathways",
    "Summit",
    "Riverside",
    "Crossroads",
    "Haven",
    "Northside",
    "Southside",
    "Eastside",
    "Westside",
    "Mercy",
    "Open",
    "Door",
    "New",
    "Start",
    "Safe",
    "Harbor",
    "Compass",
    "Anchor",
    "Horizon",
]
AGENCY_KINDS = (
    "Family Services",
    "Housing Alliance",
    "Outreach Center",
    "Community Partners",
    "Shelter Network",
    "Youth Services",
    "Veterans Project",
    "Health Center",
)
# HUD project types with the funding flags a project of that type often carries.
PROJECT_MIX = (
    (0, ()),
    (1, ()),
    (2, ()),
    (3, ()),
    (13, ("funded_ssvf",)),
    (13, ()),
    (4, ("funded_path",)),
    (6, ()),
    (11, ()),
    (12, ("funded_state_homeless_prevention",)),
    (12, ("funded_hpcc",)),
    (3, ("funded_esg",)),
)
FUNDING_TAGS = {
    "funded_path": "PATH",
    "funded_ssvf": "SSVF",
    "funded_hpcc": "HPCC",
    "funded_state_homeless_prevention": "STATE_PREVENTION",
}
REQUEST_TYPE_MIX = (("new-users", 60), ("returning-user", 15), ("new-project-access", 17), ("hrs-1474", 8))
CLOSED_STATUS_MIX = (
    (RequestStatus.APPROVED, 86),
    (RequestStatus.REJECTED, 4),
    (RequestStatus.RETURNED, 3),
    (RequestStatus.WITHDRAWN, 4),
    (RequestStatus.DRAFT, 3),
)
OPEN_STATUS_MIX = (
    (RequestStatus.SUBMITTED, 45),
    (RequestStatus.IN_REVIEW, 40),
    (RequestStatus.INFO_REQUESTED, 15),
)
# Requests still in a queue: ~55 arrive a day (40k over two years) and wait a few days, so a few
# hundred are open at any time.
OPEN_SHARE = 0.01
MIN_OPEN = 10  # so that even a tiny --scale has a queue to show
AUDIT_ACTIONS = (
    ("access_requests", "accessrequest", "access_request.submitted"),
    ("access_requests", "accessrequest", "access_request.claimed"),
    ("access_requests", "accessrequest", "access_request.approved"),
    ("access_requests", "accessrequest", "access_request.checklist_ticked"),
    ("training", "enrollment", "training.progress_recorded"),
    ("training", "enrollment", "training.progress_recorded"),
    ("training", "learningpath", "training.learning_path_assigned"),
    ("access_requests", "onboarding", "onboarding.stage_changed"),
    ("access_requests", "hmisaccount", "hmis_account.issued"),
    ("agencies", "agency", "agency.updated"),
    ("hmis_onboarding", "user", "auth.login"),
    ("hmis_onboarding", "user", "auth.login"),
)


def _weighted(rng: random.Random, mix) -> Any:
    values = [v for v, _ in mix]
    weights = [w for _, w in mix]
    return rng.choices(values, weights)[0]


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


# --- One CoC --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Report:
    continuums: int = 0
    rows: dict[str, int] = dataclasses.field(default_factory=dict)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    def add(self, name: str, count: int) -> None:
        self.rows[name] = self.rows.get(name, 0) + count


class ContinuumSeeder:
    def __init__(self, *, index: int, sizes: Sizes, ids: Ids, report: Report, rng: random.Random, log):
        self.index, self.sizes, self.ids, self.report, self.rng, self.log = (
            index,
            sizes,
            ids,
            report,
            rng,
            log,
        )
        self.now = timezone.now()
        self.password = make_password(PASSWORD)
        self.joined: dict[int, dt.datetime] = {}

    def _timed(self, name: str, fn: Callable[[], int]) -> None:
        started = time.perf_counter()
        count = fn()
        self.report.add(name, count)
        self.report.seconds[name] = self.report.seconds.get(name, 0.0) + time.perf_counter() - started

    def run(self) -> Continuum:
        self.continuum = self._continuum()
        self.today = timezone.localdate(self.now, timezone=self.continuum.tzinfo)
        self._timed("configuration", self._configuration)
        self._timed("staff", self._staff)
        self._timed("agencies", self._agencies)
        self._timed("people", self._people)
        self._timed("agreements", self._agreements)
        self._timed("access_requests", self._requests)
        self._timed("onboardings", self._onboardings)
        self._timed("learning_paths", self._learning_paths)
        self._timed("enrollments", self._enrollments)
        self._timed("audit_events", self._audit_events)
        self.report.continuums += 1
        return self.continuum

    # configuration, through the same installers seed_demo uses
    def _continuum(self) -> Continuum:
        n = self.index
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        code = f"Z{letters[n // 1000 % 26]}-{n % 1000:03d}"
        slug = "metro" if n == 0 else f"coc-{n:03d}"
        return Continuum.objects.create(
            name=f"{'Metro' if n == 0 else f'Continuum {n:03d}'} CoC {MARKER}",
            coc_code=code,
            slug=slug,
            timezone=("America/Los_Angeles", "America/Chicago", "America/New_York", "America/Denver")[n % 4],
            hmis_lead_name="HMIS Lead",
            help_desk_email=f"helpdesk@{slug}.{EMAIL_DOMAIN}",
            ce_team_email=f"ce@{slug}.{EMAIL_DOMAIN}",
        )

    def _configuration(self) -> int:
        c = self.continuum
        created = configuration.install_chicago(c)
        credential_config.install_chicago(c)
        created += training_services.catalog_load(
            continuum=c, spec=training_services.catalog_spec("chicago")
        ).total
        self.request_types = {t.code: t for t in RequestType.objects.filter(continuum=c)}
        self.courses = list(Course.objects.filter(continuum=c, is_active=True).order_by("position", "pk"))
        spec = DEMO_PARTICIPATION["chicago"]
        self.agreement_types = []
        for t in spec.agreement_types:
            agreement_type = AgreementType.objects.create(
                continuum=c,
                code=t.code,
                name=t.name,
                short_name=t.short_name,
                signer_roles=["executive_director"],
                requires_countersignature=True,
                countersigner_roles=[str(r) for r in t.countersigner_roles],
                renewal_months=t.renewal_months,
                gates=list(t.gates),
            )
            body = t.body.strip()
            version = AgreementVersion.objects.create(
                continuum=c,
                agreement_type=agreement_type,
                number=1,
                label=str(self.today.year - 1),
                body=body,
                body_sha256=hashlib.sha256(body.encode()).hexdigest(),
                published_at=self.now - dt.timedelta(days=400),
            )
            self.agreement_types.append((agreement_type, version))
            created += 2
        return created

    def _user_rows(self, pks: range, make_email: Callable[[int, str, str], str]) -> list[dict[str, Any]]:
        rows = []
        for n, pk in enumerate(pks):
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            joined = self.now - dt.timedelta(days=self.rng.randint(30, 900))
            self.joined[pk] = joined
            rows.append(
                {
                    "id": pk,
                    "email": make_email(n, first, last),
                    "full_name": f"{first} {last}",
                    "password": self.password,
                    "is_active": True,
                    "date_joined": joined,
                    # a few never signed in (their ATAs get reminded)
                    "last_login": joined + dt.timedelta(days=self.rng.randint(0, 5))
                    if self.rng.random() < 0.98
                    else None,
                }
            )
        return rows

    def _staff(self) -> int:
        a = self.sizes.agencies
        roles = (
            [Role.HELP_DESK] * max(2, a // 90)
            + [Role.CE_TEAM] * max(1, a // 300)
            + [Role.COC_ADMIN] * 2
            + [Role.IMPLEMENTATION_TEAM]
            + [Role.AUDITOR]
        )
        pks = self.ids.take(User, len(roles))
        slug = self.continuum.slug
        counters: dict[str, int] = {}

        def email(n: int, first: str, last: str) -> str:
            role = roles[n]
            counters[role] = counters.get(role, 0) + 1
            return f"{role.replace('_', '-')}{counters[role]}@{slug}.{EMAIL_DOMAIN}"

        rows = self._user_rows(pks, email)
        count = write(User, rows, self.now)
        self.staff: dict[str, list[int]] = {}
        for pk, role in zip(pks, roles, strict=True):
            self.staff.setdefault(role, []).append(pk)
        mpks = self.ids.take(Membership, len(roles))
        count += write(
            Membership,
            (
                {
                    "id": m,
                    "continuum_id": self.continuum.pk,
                    "user_id": u,
                    "agency_id": None,
                    "role": r,
                    "created_at": self.joined[u],
                }
                for m, u, r in zip(mpks, pks, roles, strict=True)
            ),
            self.now,
        )
        # CoC staff must use two-factor authentication: they have an authenticator
        for pk in pks:
            TOTP.activate(User(pk=pk), base64.b32encode(hashlib.sha1(str(pk).encode()).digest()).decode())
        return count

    def _agencies(self) -> int:
        c, rng = self.continuum, self.rng
        pks = self.ids.take(Agency, self.sizes.agencies)
        rows = []
        for n, pk in enumerate(pks):
            kind = AGENCY_KINDS[(n // len(AGENCY_WORDS)) % len(AGENCY_KINDS)]
            words = f"{AGENCY_WORDS[n % len(AGENCY_WORDS)]} {kind}"
            rows.append(
                {
                    "id": pk,
                    "continuum_id": c.pk,
                    "name": f"{words} {n + 1}",
                    "victim_service_provider": n % 97 == 96,
                    "license_pool_size": rng.randint(10, 60),
                    "contact_email": f"info@agency{pk}.{EMAIL_DOMAIN}",
                    "created_at": self.now - dt.timedelta(days=rng.randint(400, 2000)),
                }
            )
        count = write(Agency, rows, self.now)
        self.agency_ids = list(pks)
        self.hrs_hosts = set(pks[:: max(1, len(pks) // max(1, len(pks) // 20))][: max(1, len(pks) // 20)])
        # programs: 1–3 per agency
        project_rows = []
        self.agency_projects: dict[int, list[tuple[int, int, tuple[str, ...]]]] = {}
        for agency_id in pks:
            for k in range(rng.randint(1, 3)):
                hud, funding = rng.choice(PROJECT_MIX)
                project_rows.append((agency_id, k, hud, funding))
        ppks = self.ids.take(HmisProject, len(project_rows))
        prow = []
        for pk, (agency_id, k, hud, funding) in zip(ppks, project_rows, strict=True):
            self.agency_projects.setdefault(agency_id, []).append((pk, hud, funding))
            prow.append(
                {
                    "id": pk,
                    "continuum_id": c.pk,
                    "agency_id": agency_id,
                    "name": f"Program {k + 1} ({hud})",
                    "hud_project_type": hud,
                    "hmis_project_id": f"P{pk}",
                    "setup_confirmed_at": self.now - dt.timedelta(days=300),
                    **dict.fromkeys(funding, True),
                }
            )
        count += write(HmisProject, prow, self.now)
        hpks = self.ids.take(HrsHost, len(self.hrs_hosts))
        count += write(
            HrsHost,
            (
                {
                    "id": h,
                    "continuum_id": c.pk,
                    "agency_id": a,
                    "status": HrsHostStatus.APPROVED,
                    "approved_by_id": self.staff[Role.CE_TEAM][0],
                    "approved_at": self.now - dt.timedelta(days=200),
                }
                for h, a in zip(hpks, sorted(self.hrs_hosts), strict=True)
            ),
            self.now,
        )
        return count

    def _people(self) -> int:
        c = self.continuum
        pks = self.ids.take(User, self.sizes.people)
        agencies = self.agency_ids
        self.person_agency: dict[int, int] = {}
        self.agency_people: dict[int, list[int]] = {}
        for n, pk in enumerate(pks):
            agency_id = agencies[n % len(agencies)]
            self.person_agency[pk] = agency_id
            self.agency_people.setdefault(agency_id, []).append(pk)

        def email(n: int, first: str, last: str) -> str:
            return (
                f"{first.lower()}.{last.lower()}.{pks[n]}@agency{agencies[n % len(agencies)]}.{EMAIL_DOMAIN}"
            )

        rows = self._user_rows(pks, email)
        self.person_name = {r["id"]: r["full_name"] for r in rows}
        self.person_email = {r["id"]: r["email"] for r in rows}
        count = write(User, rows, self.now)
        # roles in the agency: the first person is its ATA, then its executive director, then a
        # supervisor; everyone is also an agency user (the ATA and supervisor use the HMIS too)
        memberships = []
        self.atas: dict[int, int] = {}
        self.directors: dict[int, int] = {}
        for agency_id, people in self.agency_people.items():
            self.atas[agency_id] = people[0]
            self.directors[agency_id] = people[min(1, len(people) - 1)]
            memberships.append((people[0], agency_id, Role.ATA))
            if len(people) > 1:
                memberships.append((people[1], agency_id, Role.EXECUTIVE_DIRECTOR))
            if len(people) > 2:
                memberships.append((people[2], agency_id, Role.AGENCY_SUPERVISOR))
            for person in people:
                if person != people[1] or len(people) == 1:
                    memberships.append((person, agency_id, Role.AGENCY_USER))
        mpks = self.ids.take(Membership, len(memberships))
        count += write(
            Membership,
            (
                {
                    "id": m,
                    "continuum_id": c.pk,
                    "user_id": u,
                    "agency_id": a,
                    "role": r,
                    "created_at": self.joined[u],
                }
                for m, (u, a, r) in zip(mpks, memberships, strict=True)
            ),
            self.now,
        )
        return count

    def _agreements(self) -> int:
        c, rng, today = self.continuum, self.rng, self.today
        admin = self.staff[Role.COC_ADMIN][0]
        warn_days = c.agreement_warning_days
        self.lapsed_agencies: set[int] = set()
        rows = []
        pks = iter(self.ids.take(Agreement, len(self.agency_ids) * len(self.agreement_types)))
        for agency_id in self.agency_ids:
            for agreement_type, version in self.agreement_types:
                months = agreement_type.renewal_months or 12
                roll = rng.random()
                status = AgreementStatus.EXECUTED
                warned_at = None
                # The state last night's sweeps left: lapsed agreements are recorded as expired (and
                # their agencies' accounts suspended) and those inside the warning window were
                # warned, except what the calendar moved over since (tonight's work).
                if roll < 0.03:  # expiring within the warning window
                    days_left = rng.randint(1, warn_days)
                    executed_on = _add_months(today + dt.timedelta(days=days_left), -months)
                    if days_left < warn_days:
                        warned_at = self.now - dt.timedelta(days=warn_days - days_left)
                elif roll < 0.05:  # lapsed: yesterday (tonight's work) or before
                    ago = 1 if roll < 0.033 else rng.randint(2, 90)
                    executed_on = _add_months(today - dt.timedelta(days=ago), -months)
                    warned_at = self.now - dt.timedelta(days=warn_days + ago)
                    if ago > 1:
                        status = AgreementStatus.EXPIRED
                        self.lapsed_agencies.add(agency_id)
                elif roll < 0.06:
                    executed_on = None
                    status = AgreementStatus.AWAITING_COUNTERSIGNATURE
                else:
                    executed_on = today - dt.timedelta(days=rng.randint(20, 300))
                signed_on = (executed_on or today) - dt.timedelta(days=3)
                pk = next(pks)
                rows.append(
                    {
                        "id": pk,
                        "continuum_id": c.pk,
                        "agency_id": agency_id,
                        "agreement_type_id": agreement_type.pk,
                        "version_id": version.pk,
                        "status": status,
                        "method": "e_signature",
                        "signer_name": self.person_name[self.directors[agency_id]],
                        "signer_title": "Executive Director",
                        "signed_on": signed_on,
                        "signed_at": dt.datetime.combine(signed_on, dt.time(15), tzinfo=dt.UTC),
                        "submitted_by_id": self.directors[agency_id],
                        "document": f"agreements/{c.pk}/{agency_id}/bench-{pk}.pdf",
                        "document_sha256": hashlib.sha256(str(pk).encode()).hexdigest(),
                        "document_pages": 4,
                        "document_size": 48_000,
                        "countersigned_by_id": admin if executed_on else None,
                        "countersigner_name": "CoC Administrator" if executed_on else "",
                        "countersigner_title": "HMIS Lead" if executed_on else "",
                        "countersigned_at": dt.datetime.combine(executed_on, dt.time(16), tzinfo=dt.UTC)
                        if executed_on
                        else None,
                        "executed_on": executed_on,
                        "expires_on": _add_months(executed_on, months) if executed_on else None,
                        "expiry_warning_at": warned_at,
                    }
                )
        return write(Agreement, rows, self.now)

    def _requests(self) -> int:
        c, rng, now = self.continuum, self.rng, self.now
        types = self.request_types
        helpdesk, ce = self.staff[Role.HELP_DESK], self.staff[Role.CE_TEAM]
        pks = self.ids.take(AccessRequest, self.sizes.requests)
        person_pks = iter(self.ids.take(RequestedPerson, self.sizes.requests))
        rows, people, project_links = [], [], []
        hrs_agencies = sorted(self.hrs_hosts)
        taken: dict[int, int] = {}
        self.approved: list[dict[str, Any]] = []
        for n, pk in enumerate(pks):
            code = _weighted(rng, REQUEST_TYPE_MIX)
            if code == "hrs-1474" and not hrs_agencies:
                code = "new-users"
            rtype = types[code]
            agency_id = rng.choice(hrs_agencies) if code == "hrs-1474" else rng.choice(self.agency_ids)
            is_open = rng.random() < OPEN_SHARE or n < MIN_OPEN
            status = _weighted(rng, OPEN_STATUS_MIX if is_open else CLOSED_STATUS_MIX)
            # a queue that is worked: most open requests are inside their SLA, a few are overdue
            if is_open:
                age = dt.timedelta(days=rng.uniform(0, 6.5) if rng.random() < 0.92 else rng.uniform(7.5, 20))
            else:
                age = dt.timedelta(days=rng.uniform(3, 730))
            submitted_at = None if status == RequestStatus.DRAFT else now - age
            created_at = (submitted_at or now - age) - dt.timedelta(hours=rng.randint(1, 48))
            reviewers = ce if rtype.queue == Queue.CE_TEAM else helpdesk
            decided = status in (
                RequestStatus.APPROVED,
                RequestStatus.REJECTED,
                RequestStatus.RETURNED,
            )
            decided_at = submitted_at + dt.timedelta(days=rng.uniform(0.5, 9)) if decided else None
            if decided_at and decided_at > now:
                decided_at = now - dt.timedelta(minutes=5)
            ata = self.atas[agency_id]
            rows.append(
                {
                    "id": pk,
                    "continuum_id": c.pk,
                    "agency_id": agency_id,
                    "request_type_id": rtype.pk,
                    "queue": rtype.queue,
                    "status": status,
                    "created_by_id": ata,
                    "submitted_by_id": ata if submitted_at else None,
                    "submitted_at": submitted_at,
                    "read_only": rng.random() < 0.05,
                    "responsibilities": "Case management and data entry for the agency's programs.",
                    "assignee_id": rng.choice(reviewers)
                    if status in (RequestStatus.IN_REVIEW, RequestStatus.INFO_REQUESTED) or decided
                    else None,
                    "sla_due_on": (submitted_at + dt.timedelta(days=7)).date() if submitted_at else None,
                    "sla_paused_since": now - dt.timedelta(days=1)
                    if status == RequestStatus.INFO_REQUESTED
                    else None,
                    "enrollments_confirmed_at": decided_at if status == RequestStatus.APPROVED else None,
                    "training_account_created_at": decided_at if status == RequestStatus.APPROVED else None,
                    "license_use_confirmed_at": decided_at if status == RequestStatus.APPROVED else None,
                    "decided_by_id": rng.choice(reviewers) if decided else None,
                    "decided_at": decided_at,
                    "decision_reason": "Not an HMIS-participating program." if status == "rejected" else "",
                    "correct_type_id": types["returning-user"].pk
                    if status == RequestStatus.RETURNED
                    else None,
                    "created_at": created_at,
                    "updated_at": decided_at or submitted_at or created_at,
                }
            )
            # the person: agency staff in turn (a returning user files again for a new project)
            staff = self.agency_people[agency_id]
            k = taken.get(agency_id, 0)
            taken[agency_id] = k + 1
            user_id = staff[k % len(staff)]
            first, _, last = self.person_name[user_id].partition(" ")
            person_pk = next(person_pks)
            people.append(
                {
                    "id": person_pk,
                    "continuum_id": c.pk,
                    "access_request_id": pk,
                    "first_name": first,
                    "last_name": last,
                    "email": self.person_email[user_id],
                    "user_id": user_id if status == RequestStatus.APPROVED else None,
                    "credited_training": code == "returning-user",
                }
            )
            projects = self.agency_projects[agency_id]
            project_id = projects[n % len(projects)][0]
            project_links.append((pk, project_id))
            if status == RequestStatus.APPROVED:
                self.approved.append(
                    {
                        "request": pk,
                        "person": person_pk,
                        "user": user_id,
                        "agency": agency_id,
                        "decided_at": decided_at,
                        "read_only": rows[-1]["read_only"],
                        "hud": [h for p, h, _ in projects if p == project_id],
                    }
                )
        count = write(AccessRequest, rows, now)
        count += write(RequestedPerson, people, now)
        count += write_m2m(AccessRequest._meta.get_field("projects"), project_links, self.ids, now)
        return count

    def _onboardings(self) -> int:
        c, rng, now = self.continuum, self.rng, self.now
        rows, accounts, assignments = [], [], []
        pks = self.ids.take(Onboarding, len(self.approved))
        has_account: set[int] = set()
        window = configuration.policy_for(c).inactivity_window_months
        cutoff = _months_ago(self.today, window)
        warn_from = cutoff + dt.timedelta(days=credential_config.policy_for(c).inactivity_warning_days)
        seats = 8
        self.approved.sort(key=lambda a: a["decided_at"])
        for pk, a in zip(pks, self.approved, strict=True):
            age = (now - a["decided_at"]).days
            if age > 60:
                stage = OnboardingStage.CREDENTIALED if rng.random() < 0.88 else OnboardingStage.CLOSED
            else:
                stage = _weighted(
                    rng,
                    (
                        (OnboardingStage.TRAINING, 45),
                        (OnboardingStage.SAMPLE_CLIENT, 20),
                        (OnboardingStage.AGREEMENT, 10),
                        (OnboardingStage.READY, 10),
                        (OnboardingStage.CREDENTIALED, 15),
                    ),
                )
            past_training = stage not in (OnboardingStage.TRAINING, OnboardingStage.CLOSED)
            rows.append(
                {
                    "id": pk,
                    "continuum_id": c.pk,
                    "agency_id": a["agency"],
                    "access_request_id": a["request"],
                    "person_id": a["person"],
                    "user_id": a["user"],
                    "read_only": a["read_only"],
                    "project_types": a["hud"],
                    "stage": stage,
                    "training_confirmed_by_id": self.staff[Role.HELP_DESK][0] if past_training else None,
                    "training_confirmed_at": a["decided_at"] + dt.timedelta(days=10)
                    if past_training
                    else None,
                    "credential_due_on": (a["decided_at"] + dt.timedelta(days=30)).date(),
                    "created_at": a["decided_at"],
                    "updated_at": a["decided_at"],
                }
            )
            if stage == OnboardingStage.CREDENTIALED and a["user"] not in has_account:
                has_account.add(a["user"])
                roll = rng.random()
                # most people work in the HMIS every week; a tail drifts past the inactivity window.
                # Past nights' sweeps warned and suspended that tail; tonight's sweep finds the
                # accounts that crossed a line since.
                last = now.date() - dt.timedelta(
                    days=rng.randint(0, 30) if roll < 0.9 else rng.randint(31, 400)
                )
                status, reason, warned = HmisAccountStatus.ACTIVE, "", None
                if last < cutoff - dt.timedelta(days=1):
                    status, reason = HmisAccountStatus.SUSPENDED, "inactive"
                elif last < warn_from - dt.timedelta(days=1):
                    warned = self.today - (warn_from - last)
                if a["agency"] in self.lapsed_agencies:
                    status, reason = HmisAccountStatus.SUSPENDED, "agreement_lapsed"
                accounts.append(
                    {
                        "continuum_id": c.pk,
                        "agency_id": a["agency"],
                        "user_id": a["user"],
                        "email": self.person_email[a["user"]],
                        "full_name": self.person_name[a["user"]],
                        "hmis_username": f"u{a['user']}",
                        "hmis_role": "Read only" if a["read_only"] else "Case Manager",
                        "project_types": a["hud"],
                        "status": status,
                        "status_reason": reason,
                        "status_changed_at": now if reason else None,
                        "inactivity_warned_on": warned,
                        "issued_at": a["decided_at"] + dt.timedelta(days=20),
                        "issued_by_id": self.staff[Role.HELP_DESK][0],
                        "onboarding_id": pk,
                        "last_activity_on": last,
                    }
                )
            if stage == OnboardingStage.SAMPLE_CLIENT:
                is_open = seats > 0
                seats -= int(is_open)
                assignments.append(
                    {
                        "continuum_id": c.pk,
                        "agency_id": a["agency"],
                        "onboarding_id": pk,
                        "user_id": a["user"],
                        "project_type": (a["hud"] or [1])[0],
                        "status": AssignmentStatus.OPEN if is_open else AssignmentStatus.WAITLISTED,
                        "requested_at": a["decided_at"] + dt.timedelta(days=12),
                        "opened_at": now - dt.timedelta(days=2) if is_open else None,
                        "expires_at": now + dt.timedelta(days=8) if is_open else None,
                    }
                )
        count = write(Onboarding, rows, now)
        for row, pk in zip(accounts, self.ids.take(HmisAccount, len(accounts)), strict=True):
            row["id"] = pk
        count += write(HmisAccount, accounts, now)
        for row, pk in zip(assignments, self.ids.take(SampleClientAssignment, len(assignments)), strict=True):
            row["id"] = pk
        count += write(SampleClientAssignment, assignments, now)
        opened = [r for r in assignments if r["status"] == AssignmentStatus.OPEN]
        rounds = []
        for n, (row, pk) in enumerate(
            zip(opened, self.ids.take(SampleClientRound, len(opened)), strict=True)
        ):
            reviewed = n % 2 == 0
            rounds.append(
                {
                    "id": pk,
                    "continuum_id": c.pk,
                    "assignment_id": row["id"],
                    "number": 1,
                    "submitted_at": now - dt.timedelta(days=1),
                    "client_reference": f"SC-{pk}",
                    "reviewed_by_id": self.staff[Role.HELP_DESK][0] if reviewed else None,
                    "reviewed_at": now - dt.timedelta(hours=3) if reviewed else None,
                    "outcome": RoundOutcome.CORRECTIONS if reviewed else "",
                    "total_errors": 2 if reviewed else 0,
                    "feedback": "Check the prior living situation and the length of stay."
                    if reviewed
                    else "",
                }
            )
        count += write(SampleClientRound, rounds, now)
        return count

    def _learning_paths(self) -> int:
        """One LMS account and one learning path per person, then the training app computes the
        paths' enrolments (`learning_paths_refresh`, the code an approval runs)."""
        c, rng, now = self.continuum, self.rng, self.now
        people = list(self.person_agency)
        accounts, paths = [], []
        apks, lpks = self.ids.take(LmsAccount, len(people)), self.ids.take(LearningPath, len(people))
        for user_id, apk, lpk in zip(people, apks, lpks, strict=True):
            agency_id = self.person_agency[user_id]
            assigned = now - dt.timedelta(days=rng.randint(5, 700))
            accounts.append(
                {
                    "id": apk,
                    "continuum_id": c.pk,
                    "user_id": user_id,
                    "email": self.person_email[user_id],
                    "lms_user_id": str(100_000 + user_id),
                    "login": f"lms{user_id}",
                    "status": LmsAccount.Status.LINKED,
                    "created_in_lms": True,
                    "linked_at": assigned,
                    "created_at": assigned,
                }
            )
            projects = [
                {
                    "hud_project_type": hud,
                    "tags": sorted(FUNDING_TAGS[f] for f in funding if f in FUNDING_TAGS),
                }
                for _, hud, funding in self.agency_projects[agency_id]
            ]
            paths.append(
                {
                    "id": lpk,
                    "continuum_id": c.pk,
                    "user_id": user_id,
                    "needs": {
                        "projects": projects,
                        "training_roles": [],
                        "read_only": rng.random() < 0.05,
                        "hrs": agency_id in self.hrs_hosts and rng.random() < 0.3,
                        "new_user": rng.random() < 0.8,
                        "credited": [],
                    },
                    "source": "access_request",
                    "assigned_at": assigned,
                    "recomputed_at": assigned,
                }
            )
        count = write(LmsAccount, accounts, now)
        count += write(LearningPath, paths, now)
        count += training_services.learning_paths_refresh(continuum=c, now=now)
        return count

    def _enrollments(self) -> int:
        """Progress on the path courses (intro first, so what it unlocks follows), then courses taken
        outside the path until the profile's enrolment count is reached."""
        c, now = self.continuum, self.now
        intro = [x.pk for x in self.courses if x.category == "foundation"]
        mine = Enrollment.objects.filter(continuum=c).alias(slot=Mod("id", 20))
        # 85% finished their foundation course; what it unlocks becomes available on the refresh
        mine.filter(course_id__in=intro, slot__lt=17).update(
            state=Enrollment.State.COMPLETED,
            percent=100,
            started_at=now - dt.timedelta(days=45),
            completed_at=now - dt.timedelta(days=40),
            last_progress_at=now - dt.timedelta(days=40),
            source=Enrollment.Source.LMS_TIMELINE,
        )
        training_services.learning_paths_refresh(continuum=c, now=now)
        # of the courses now open: 60% done, 15% under way, the rest not started
        mine.filter(state=Enrollment.State.AVAILABLE, slot__lt=12).update(
            state=Enrollment.State.COMPLETED,
            percent=100,
            started_at=now - dt.timedelta(days=20),
            completed_at=now - dt.timedelta(days=12),
            last_progress_at=now - dt.timedelta(days=12),
            source=Enrollment.Source.LMS_TIMELINE,
        )
        mine.filter(state=Enrollment.State.AVAILABLE, slot__lt=15).update(
            state=Enrollment.State.IN_PROGRESS,
            percent=10 + Mod("id", 80),
            started_at=now - dt.timedelta(days=20),
            last_progress_at=now - dt.timedelta(days=3),
            source=Enrollment.Source.LMS_TIMELINE,
        )
        training_services.learning_paths_refresh(continuum=c, now=now)
        have = Enrollment.objects.filter(continuum=c).count()
        missing = self.sizes.enrollments - have
        if missing <= 0:
            return have
        enrolled: dict[int, set[int]] = {}
        for user_id, course_id in Enrollment.objects.filter(continuum=c).values_list("user_id", "course_id"):
            enrolled.setdefault(user_id, set()).add(course_id)
        accounts = dict(LmsAccount.objects.filter(continuum=c).values_list("user_id", "pk"))
        courses = [x.pk for x in self.courses]
        extra: list[tuple[int, int]] = []
        people = list(self.person_agency)
        self.rng.shuffle(people)
        # round-robin over people so extra courses spread evenly
        for round_ in range(len(courses)):
            for user_id in people:
                if len(extra) >= missing:
                    break
                course_id = courses[(user_id + round_) % len(courses)]
                if course_id not in enrolled.setdefault(user_id, set()):
                    enrolled[user_id].add(course_id)
                    extra.append((user_id, course_id))
            if len(extra) >= missing:
                break
        pks = self.ids.take(Enrollment, len(extra))

        def rows() -> Iterator[dict[str, Any]]:
            for pk, (user_id, course_id) in zip(pks, extra, strict=True):
                done = pk % 3 != 0
                yield {
                    "id": pk,
                    "continuum_id": c.pk,
                    "user_id": user_id,
                    "course_id": course_id,
                    "lms_account_id": accounts.get(user_id),
                    "state": Enrollment.State.COMPLETED if done else Enrollment.State.IN_PROGRESS,
                    "percent": 100 if done else 5 + pk % 90,
                    "source": Enrollment.Source.LMS_TIMELINE,
                    "started_at": now - dt.timedelta(days=200),
                    "completed_at": now - dt.timedelta(days=150) if done else None,
                    "last_progress_at": now - dt.timedelta(days=150 if done else 20),
                }

        write(Enrollment, rows(), now)
        return have + len(extra)

    def _audit_events(self) -> int:
        c, rng, now = self.continuum, self.rng, self.now
        ct = {
            (app, model): ContentType.objects.get_by_natural_key(app, model).pk
            for app, model, _ in AUDIT_ACTIONS
        }
        actors = [pk for pks in self.staff.values() for pk in pks] + list(self.atas.values())
        ranges = {
            "accessrequest": AccessRequest.objects.filter(continuum=c).aggregate(
                a=models.Min("pk"), b=Max("pk")
            ),
            "enrollment": Enrollment.objects.filter(continuum=c).aggregate(a=models.Min("pk"), b=Max("pk")),
            "learningpath": LearningPath.objects.filter(continuum=c).aggregate(
                a=models.Min("pk"), b=Max("pk")
            ),
            "onboarding": Onboarding.objects.filter(continuum=c).aggregate(a=models.Min("pk"), b=Max("pk")),
            "hmisaccount": HmisAccount.objects.filter(continuum=c).aggregate(a=models.Min("pk"), b=Max("pk")),
            "agency": {"a": self.agency_ids[0], "b": self.agency_ids[-1]},
            "user": {"a": min(self.person_agency), "b": max(self.person_agency)},
        }
        pks = self.ids.take(AuditEvent, self.sizes.audit_events)
        span = 730 * 86400
        before_after = (
            ({"status": "submitted"}, {"status": "in_review"}),
            ({"percent": 40}, {"percent": 100, "state": "completed"}),
            ({}, {"stage": "training"}),
            ({}, {}),
        )

        def rows() -> Iterator[dict[str, Any]]:
            for pk in pks:
                app, model, action = AUDIT_ACTIONS[pk % len(AUDIT_ACTIONS)]
                bounds = ranges[model]
                object_id = rng.randint(bounds["a"], bounds["b"]) if bounds["a"] is not None else 0
                before, after = before_after[pk % len(before_after)]
                yield {
                    "id": pk,
                    "occurred_at": now - dt.timedelta(seconds=rng.randrange(span)),
                    "actor_id": actors[pk % len(actors)],
                    "continuum_id": c.pk,
                    "action": action,
                    "object_type_id": ct[(app, model)],
                    "object_id": str(object_id),
                    "object_repr": f"{model} #{object_id}",
                    "before": before,
                    "after": after,
                    "ip_address": f"10.{pk % 250}.{pk // 250 % 250}.{pk % 7 + 1}",
                }

        if connection.vendor == "postgresql":
            return self._audit_events_in_database(pks, actors, ct, ranges, before_after, span)
        return write(AuditEvent, rows(), now)

    def _audit_events_in_database(self, pks, actors, ct, ranges, before_after, span) -> int:
        """The same rows, generated by PostgreSQL itself (a million rows in seconds, not minutes)."""
        kinds = [(action, ct[(app, model)], model) for app, model, action in AUDIT_ACTIONS]
        lo = [ranges[model]["a"] or 0 for _, _, model in kinds]
        hi = [ranges[model]["b"] or 0 for _, _, model in kinds]
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        sql = f"""
            INSERT INTO {table} (id, occurred_at, actor_id, actor_label, continuum_id, action, object_type_id,
                                 object_id, object_repr, before, after, ip_address, metadata)
            SELECT id, %(now)s - random() * %(span)s * interval '1 second',
                   (%(actors)s::bigint[])[1 + id %% %(n_actors)s], '', %(continuum)s,
                   (%(actions)s::text[])[k], (%(cts)s::int[])[k], obj::text,
                   (%(models)s::text[])[k] || ' #' || obj,
                   (%(befores)s::jsonb[])[1 + id %% 4], (%(afters)s::jsonb[])[1 + id %% 4],
                   ('10.' || id %% 250 || '.' || id / 250 %% 250 || '.' || (id %% 7 + 1))::inet, '{{}}'::jsonb
            FROM (
                SELECT id, k, ((%(lo)s::bigint[])[k] + floor(random() * ((%(hi)s::bigint[])[k]
                       - (%(lo)s::bigint[])[k] + 1)))::bigint AS obj
                FROM (SELECT id, 1 + id %% %(n_kinds)s AS k
                      FROM generate_series(%(first)s, %(last)s) AS id) ids
            ) rows
        """
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                {
                    "now": self.now,
                    "span": span,
                    "actors": actors,
                    "n_actors": len(actors),
                    "continuum": self.continuum.pk,
                    "actions": [k[0] for k in kinds],
                    "cts": [k[1] for k in kinds],
                    "models": [k[2] for k in kinds],
                    "befores": [json.dumps(b) for b, _ in before_after],
                    "afters": [json.dumps(a) for _, a in before_after],
                    "lo": lo,
                    "hi": hi,
                    "n_kinds": len(kinds),
                    "first": pks.start,
                    "last": pks.stop - 1,
                },
            )
            for reset in connection.ops.sequence_reset_sql(no_style(), [AuditEvent]):
                cursor.execute(reset)
        return len(pks)


def seed_scale(*, profile: str, scale: float, seed: int = 2026, log: Callable[[str], None] = print) -> Report:
    if seeded_continuums():
        raise AlreadySeeded(
            f"Scale data is already loaded in this database ({seeded_continuums()} CoCs named "
            f"“… {MARKER}”). seed_scale refuses to run twice: use a fresh database "
            "(make bench creates its own) or drop and recreate this one."
        )
    report = Report()
    ids = Ids()
    rng = random.Random(seed)
    sizes = profile_sizes(profile, scale)
    for index, size in enumerate(sizes):
        started = time.perf_counter()
        with transaction.atomic():
            continuum = ContinuumSeeder(
                index=index, sizes=size, ids=ids, report=report, rng=rng, log=log
            ).run()
        if index < 3 or index % 50 == 0 or index == len(sizes) - 1:
            log(f"{continuum.slug}: {size.total():,} target rows in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return report
