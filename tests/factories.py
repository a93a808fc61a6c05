from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP

from agencies.models import Agency, Continuum, Membership
from hmis_onboarding.models import User

PASSWORD = "correct-horse-battery-staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class ContinuumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Continuum

    name = factory.Sequence(lambda n: f"Test CoC {n}")
    coc_code = factory.Sequence(lambda n: f"ZZ-{n % 1000:03d}")
    slug = factory.Sequence(lambda n: f"coc-{n}")
    timezone = "America/Chicago"
    help_desk_email = "helpdesk@example.org"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    continuum = factory.SubFactory(ContinuumFactory)
    name = factory.Sequence(lambda n: f"Agency {n}")
    license_pool_size = 10


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        if create and extracted:
            TOTP.activate(self, TOTP_SECRET)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    continuum = factory.SubFactory(ContinuumFactory)
    agency = None
    role = "help_desk"
