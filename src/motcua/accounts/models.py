"""Citizen and business accounts of the public portal (staff accounts are Django users with Memberships).

A :class:`Citizen` is the applicant's profile beside ``auth.User``: who they are (citizen ID or tax code), how to
reach them, which contacts are verified, and, for accounts from the national identity provider (OpenID
Connect), the provider's subject identifier.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CitizenKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organization or business")


class Citizen(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="citizen")
    kind = models.CharField(_("account for"), max_length=20, choices=CitizenKind.choices, default=CitizenKind.PERSON)
    full_name = models.CharField(_("full name"), max_length=300)
    id_number = models.CharField(_("citizen ID or tax code"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    phone_verified_at = models.DateTimeField(_("phone verified"), null=True, blank=True)
    email_verified_at = models.DateTimeField(_("email verified"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=5, default="vi")
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    # the citizen ID, name and date of birth were checked against the national population database
    identity_verified_at = models.DateTimeField(_("identity verified"), null=True, blank=True)
    oidc_subject = models.CharField(_("identity provider subject"), max_length=255, null=True, blank=True,
                                    unique=True)
    # the Zalo user ID the official account knows this person by (docs/zalo.md), once they linked it
    zalo_user_id = models.CharField(_("Zalo user ID"), max_length=64, null=True, blank=True, unique=True)
    zalo_linked_at = models.DateTimeField(_("Zalo linked"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("citizen account")
        verbose_name_plural = _("citizen accounts")
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~models.Q(phone=""), name="unique_citizen_phone"),
            models.UniqueConstraint(fields=["email"], condition=~models.Q(email=""), name="unique_citizen_email"),
            # one person, one account: a citizen ID verified against the population database belongs to one
            models.UniqueConstraint(fields=["id_number"], condition=models.Q(identity_verified_at__isnull=False),
                                    name="unique_verified_citizen_id"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def zalo_linked(self) -> bool:
        return bool(self.zalo_user_id)

    @property
    def verified(self) -> bool:
        """A contact (phone or email) was verified, or the identity provider vouched for the person."""
        return bool(self.phone_verified_at or self.email_verified_at or self.oidc_subject)


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("email")
    PHONE = "phone", _("phone")


class VerificationCode(models.Model):
    """A one-time code sent to one contact (an email address or a phone number) to prove the citizen holds it.

    Only a keyed hash of the code is stored (a leaked table gives no usable code without the secret key); the code
    expires, allows a few wrong tries and is bound to the contact it was sent to, so changing the contact after
    sending makes it useless.
    """

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="verification_codes")
    channel = models.CharField(max_length=10, choices=ContactChannel.choices)
    destination = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["citizen", "-created_at"])]
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")

    def __str__(self) -> str:
        return f"{self.channel} {self.created_at:%Y-%m-%d %H:%M}"


class ZaloLinkCode(models.Model):
    """A one-time code the account page shows (``MC 482913``) and the citizen sends to the official account on
    Zalo, which links that Zalo user to the account. Only a keyed hash is stored; it expires after
    ``MOTCUA_ZALO_LINK_CODE_MINUTES`` and a new one replaces the previous."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="zalo_link_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Zalo link code")
        verbose_name_plural = _("Zalo link codes")

    def __str__(self) -> str:
        return f"{self.citizen_id} {self.created_at:%Y-%m-%d %H:%M}"
