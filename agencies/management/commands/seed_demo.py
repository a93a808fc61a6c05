"""Load the two reference CoCs with agencies and one login per persona, their agreements in every
state, programs, HRS hosts and program setup requests. Running it twice changes nothing: every record
is looked up before it is created."""

from __future__ import annotations

import datetime
import hashlib

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from access_requests.demo import seed_access_requests
from access_requests.demo_credentials import seed_credentials
from agencies.demo import (
    DEMO_CONTINUUMS,
    DEMO_PARTICIPATION,
    DEMO_PASSWORD,
    DEMO_SUPERUSER,
    DemoAgreement,
    DemoParticipation,
    demo_totp_secret,
)
from agencies.documents import pdf_facts, render_agreement_pdf
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
    ProgramSetupRequest,
    ProgramSetupStatus,
    SigningMethod,
)
from agencies.participation import today_in
from agencies.services import _add_months, _expiry_for, membership_grant
from hmis_onboarding.audit import audit_record
from hmis_onboarding.models import User
from hmis_onboarding.permissions import MFA_REQUIRED_ROLES
from rollout.demo import seed_rollout
from training.demo import seed_session_demo, seed_training_demo

SIGNED_DAYS_BEFORE_EXECUTION = 5


def _expiring_executed_on(today: datetime.date, months: int) -> datetime.date:
    """Executed so that it expires three weeks from the seed day (inside the warning window)."""
    return _add_months(today + datetime.timedelta(days=21), -months)


def _revision_dates(today: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """When a type's second version was published, and its (past) re-sign deadline.

    Published three days before the expiring agreement — the oldest that still counts — was signed, so
    every agreement seeded on the newest version was signed after it; an agreement executed just after
    it on the first version has not yet expired but no longer counts.
    """
    expiring_signed_on = _expiring_executed_on(today, months) - datetime.timedelta(
        days=SIGNED_DAYS_BEFORE_EXECUTION
    )
    published_on = expiring_signed_on - datetime.timedelta(days=3)
    return published_on, published_on + datetime.timedelta(days=60)


class Command(BaseCommand):
    help = "Load demo data for the Chicago-like (IL-510) and LA-like (CA-600) Continuums of Care."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, quiet_logins: bool = False, **options):
        with transaction.atomic():
            created = self._seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new records)."))
        if not quiet_logins:
            self.stdout.write(self.logins_text())

    def _user(self, email: str, full_name: str, *, mfa: bool, superuser: bool = False) -> tuple[User, int]:
        created = 0
        user = User.objects.filter(email=email).first()
        if user is None:
            if superuser:
                user = User.objects.create_superuser(email=email, password=DEMO_PASSWORD, full_name=full_name)
            else:
                user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
            created += 1
        _, new = EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        created += int(new)
        if mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, demo_totp_secret(email))
            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
                RecoveryCodes.activate(user)
            created += 1
        return user, created

    def _seed(self) -> int:
        created = 0
        _, n = self._user(*DEMO_SUPERUSER, mfa=True, superuser=True)
        created += n
        for demo in DEMO_CONTINUUMS:
            continuum, new = Continuum.objects.get_or_create(
                coc_code=demo.coc_code,
                defaults={
                    "name": demo.name,
                    "slug": demo.slug,
                    "timezone": demo.timezone,
                    "hmis_lead_name": demo.hmis_lead_name,
                    "help_desk_email": demo.help_desk_email,
                    "ce_team_email": demo.ce_team_email,
                },
            )
            created += int(new)
            agencies = {}
            for spec in demo.agencies:
                agency, new = Agency.objects.get_or_create(
                    continuum=continuum,
                    name=spec["name"],
                    defaults={k: v for k, v in spec.items() if k != "name"},
                )
                agencies[agency.name] = agency
                created += int(new)
            for email, full_name, role, agency_name in demo.people:
                user, n = self._user(email, full_name, mfa=role in MFA_REQUIRED_ROLES)
                created += n
                before = user.memberships.count()
                membership_grant(
                    continuum=continuum,
                    user=user,
                    role=role,
                    agency=agencies[agency_name] if agency_name else None,
                )
                created += user.memberships.count() - before
            created += self._seed_participation(continuum, DEMO_PARTICIPATION[demo.key], agencies)
            created += seed_access_requests(continuum, demo.key)
            created += seed_credentials(continuum, demo.key)
            created += seed_rollout(continuum, demo.key)
        created += seed_training_demo()
        created += seed_session_demo()
        return created

    # --- Agreements, programs, HRS hosts, program setup ------------------------------------------------

    def _seed_participation(self, continuum: Continuum, demo: DemoParticipation, agencies: dict) -> int:
        created = 0
        if not Continuum.objects.filter(pk=continuum.pk, **demo.settings).exists():
            Continuum.objects.filter(pk=continuum.pk).update(**demo.settings)
            continuum.refresh_from_db()
        today = today_in(continuum)
        admin = continuum.memberships.filter(role="coc_admin").select_related("user").first().user
        types = {}
        for spec in demo.agreement_types:
            agreement_type, new = AgreementType.objects.get_or_create(
                continuum=continuum,
                code=spec.code,
                defaults={
                    "name": spec.name,
                    "short_name": spec.short_name,
                    "signer_roles": ["executive_director"],
                    "requires_countersignature": True,
                    "countersigner_roles": [str(r) for r in spec.countersigner_roles],
                    "renewal_months": spec.renewal_months,
                    "gates": list(spec.gates),
                },
            )
            created += int(new)
            # Versions only with a new type: a later version would change the standing of agreements
            # already seeded on the first.
            if not agreement_type.versions.exists():
                body = spec.body.strip()
                AgreementVersion.objects.create(
                    continuum=continuum,
                    agreement_type=agreement_type,
                    number=1,
                    label=f"{today.year - 3}",
                    body=body,
                    body_sha256=hashlib.sha256(body.encode()).hexdigest(),
                    published_at=timezone.now() - datetime.timedelta(days=3 * 365),
                    published_by=admin,
                )
                created += 1
                if spec.revised_body:
                    published_on, resign_by = _revision_dates(today, spec.renewal_months)
                    body = spec.revised_body.strip()
                    AgreementVersion.objects.create(
                        continuum=continuum,
                        agreement_type=agreement_type,
                        number=2,
                        label=f"{published_on.year}",
                        body=body,
                        body_sha256=hashlib.sha256(body.encode()).hexdigest(),
                        requires_resign=True,
                        resign_by=resign_by,
                        published_at=timezone.make_aware(
                            datetime.datetime.combine(published_on, datetime.time(9, 0)), continuum.tzinfo
                        ),
                        published_by=admin,
                    )
                    created += 1
            types[spec.code] = agreement_type
        for spec in demo.agreements:
            agency = agencies[spec.agency]
            if spec.state == "outdated" and not types[spec.type_code].versions.filter(number=2).exists():
                continue  # a demo database seeded before the type had a second version
            if not Agreement.objects.filter(agency=agency, agreement_type=types[spec.type_code]).exists():
                self._demo_agreement(continuum, agency, types[spec.type_code], spec, today)
                created += 1
        projects = {}
        for spec in demo.programs:
            project, new = HmisProject.objects.get_or_create(
                agency=agencies[spec.agency],
                name=spec.name,
                defaults={
                    "continuum": continuum,
                    "hud_project_type": spec.hud_project_type,
                    "ces_program_type": spec.ces_program_type,
                    "setup_confirmed_at": timezone.now() - datetime.timedelta(days=60)
                    if spec.setup_confirmed
                    else None,
                    **dict.fromkeys(spec.funding, True),
                },
            )
            projects[spec.name] = project
            created += int(new)
        ce = continuum.memberships.filter(role="ce_team").select_related("user").first().user
        for agency_name, exception_reason in demo.hrs_hosts:
            _, new = HrsHost.objects.get_or_create(
                agency=agencies[agency_name],
                defaults={
                    "continuum": continuum,
                    "status": HrsHostStatus.APPROVED,
                    "exception_granted": bool(exception_reason),
                    "exception_reason": exception_reason,
                    "approved_by": ce,
                    "approved_at": timezone.now() - datetime.timedelta(days=90),
                },
            )
            created += int(new)
        implementer = (
            continuum.memberships.filter(role="implementation_team").select_related("user").first().user
        )
        for spec in demo.setup_requests:
            agency = agencies[spec.agency]
            if ProgramSetupRequest.objects.filter(agency=agency).exists():
                continue
            submitter = (
                agency.memberships.filter(role__in=["ata", "executive_director"])
                .select_related("user")
                .first()
            )
            now = timezone.now()
            done = spec.status in (ProgramSetupStatus.AWAITING_CONFIRMATION, ProgramSetupStatus.CONFIRMED)
            request = ProgramSetupRequest.objects.create(
                continuum=continuum,
                agency=agency,
                kind=spec.kind,
                ces_roles=list(spec.ces_roles),
                program_types=list(spec.program_types),
                programs_description=spec.description,
                status=spec.status,
                submitted_by=submitter.user if submitter else admin,
                handled_by=implementer if done else None,
                setup_completed_at=now - datetime.timedelta(days=65) if done else None,
                confirmed_by=submitter.user
                if submitter and spec.status == ProgramSetupStatus.CONFIRMED
                else None,
                confirmed_at=now - datetime.timedelta(days=60)
                if spec.status == ProgramSetupStatus.CONFIRMED
                else None,
            )
            request.projects.set([projects[name] for name in spec.programs])
            if spec.status == ProgramSetupStatus.CONFIRMED:
                Agency.objects.filter(pk=agency.pk).update(ces_roles=sorted(spec.ces_roles))
            created += 1
        return created

    def _demo_agreement(
        self,
        continuum: Continuum,
        agency: Agency,
        agreement_type: AgreementType,
        spec: DemoAgreement,
        today: datetime.date,
    ) -> Agreement:
        """An agreement as it would stand today had it been signed (and countersigned) back then."""
        months = agreement_type.renewal_months or 12
        if spec.state == "current":
            executed_on = today - datetime.timedelta(days=120)
        elif spec.state == "expiring":
            executed_on = _expiring_executed_on(today, months)
        elif spec.state == "expired":
            executed_on = _add_months(today - datetime.timedelta(days=59), -months)
        elif spec.state == "outdated":
            # Signed two days before the second version was published, so on the first; not yet expired.
            executed_on = _revision_dates(today, months)[0] + datetime.timedelta(days=3)
        else:
            executed_on = None
        signed_on = (executed_on or today) - datetime.timedelta(days=SIGNED_DAYS_BEFORE_EXECUTION)
        # The version the CoC offered on the day it was signed.
        version = (
            agreement_type.versions.filter(
                published_at__lt=timezone.make_aware(
                    datetime.datetime.combine(signed_on + datetime.timedelta(days=1), datetime.time()),
                    continuum.tzinfo,
                )
            )
            .order_by("-number")
            .first()
        )
        submitter = User.objects.get(email=spec.signer_email)
        countersigner = (
            continuum.memberships.filter(role__in=agreement_type.countersigner_roles)
            .select_related("user")
            .first()
        )
        signed_at = timezone.make_aware(
            datetime.datetime.combine(signed_on, datetime.time(15, 30)), continuum.tzinfo
        )
        agreement = Agreement(
            continuum=continuum,
            agency=agency,
            agreement_type=agreement_type,
            version=version,
            status=AgreementStatus.AWAITING_COUNTERSIGNATURE,
            method=SigningMethod.E_SIGNATURE if spec.method == "e_signature" else SigningMethod.UPLOAD,
            signer_name=spec.signer_name,
            signer_title=spec.signer_title,
            signed_on=signed_on,
            signed_at=signed_at,
            signer_ip="203.0.113.10",
            submitted_by=submitter,
        )
        if agreement.method == SigningMethod.E_SIGNATURE:
            content = render_agreement_pdf(agreement)
        else:
            html = render_to_string("agencies/pdf/demo_scan.html", {"agreement": agreement})
            from weasyprint import HTML

            content = HTML(string=html).write_pdf()
        facts = pdf_facts(content)
        agreement.document_sha256, agreement.document_pages, agreement.document_size = (
            facts.sha256,
            facts.pages,
            facts.size,
        )
        agreement.document.save("agreement.pdf", ContentFile(content), save=False)
        if executed_on is not None:
            agreement.countersigned_by = countersigner.user
            agreement.countersigner_name = countersigner.user.full_name
            agreement.countersigner_title = countersigner.get_role_display()
            agreement.countersigned_at = timezone.make_aware(
                datetime.datetime.combine(executed_on, datetime.time(10, 0)), continuum.tzinfo
            )
            agreement.countersigner_ip = "203.0.113.20"
            agreement.executed_on = executed_on
            agreement.expires_on = _expiry_for(agreement_type, executed_on)
            agreement.status = (
                AgreementStatus.EXPIRED if agreement.expires_on < today else AgreementStatus.EXECUTED
            )
            if agreement.method == SigningMethod.E_SIGNATURE:
                agreement.executed_document.save(
                    "agreement.pdf", ContentFile(render_agreement_pdf(agreement)), save=False
                )
        elif spec.state == "returned":
            agreement.status = AgreementStatus.RETURNED
            agreement.returned_by = countersigner.user
            agreement.returned_at = timezone.make_aware(
                datetime.datetime.combine(today - datetime.timedelta(days=2), datetime.time(11, 0)),
                continuum.tzinfo,
            )
            agreement.returned_reason = spec.returned_reason
        agreement.save()
        audit_record(
            action="agreement.seeded",
            actor_label="demo seed",
            continuum=continuum,
            obj=agreement,
            after={
                "status": agreement.status,
                "signed_on": str(signed_on),
                "expires_on": str(agreement.expires_on),
            },
            metadata={"agency_id": agency.pk},
        )
        return agreement

    @staticmethod
    def logins_text() -> str:
        lines = ["", "Demo logins — password for all: " + DEMO_PASSWORD, ""]
        lines.append(f"  {'e-mail':42} {'persona':48} where")
        lines.append(f"  {DEMO_SUPERUSER[0]:42} {'HMIS Lead superuser (Django admin) *':48} /admin/")
        for demo in DEMO_CONTINUUMS:
            for email, _name, role, agency in demo.people[:9]:
                star = " *" if role in MFA_REQUIRED_ROLES else ""
                label = role.label + star
                lines.append(f"  {email:42} {label:48} {demo.coc_code}{' · ' + agency if agency else ''}")
        lines.append(
            f"  {'multi.helpdesk@example.org':42} {'HMIS Help Desk in both CoCs *':48} IL-510 + CA-600"
        )
        lines += [
            "",
            "* CoC staff must use two-factor authentication. In demo mode their authenticator code is:",
            "    .venv/bin/python manage.py demo_totp EMAIL",
            "",
        ]
        return "\n".join(lines)
