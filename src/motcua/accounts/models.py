"""Citizen and business accounts of the public portal (staff accounts are Django users with Memberships).

A :class:`Citizen` is the applicant's profile beside ``auth.User``: who they are (citizen ID or tax code), how to
reach them, which contacts are verified, and, for accounts from the national identity provider (OpenID
Connect), the provider's subject identifier.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
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
# --- assisted filing (issue 15): an officer or a postal worker files online on a citizen's behalf ----------------


class ConsentMethod(models.TextChoices):
    CODE = "code", _("a code sent to the citizen's phone")
    AUTHORIZATION = "authorization", _("a signed authorization")


# the same, in the citizen's own words (her account page)
YOUR_CONSENT_METHOD = {ConsentMethod.CODE: _("a code sent to your phone"),
                       ConsentMethod.AUTHORIZATION: _("your signed authorization")}


def authorization_path(instance: AssistedConsent, filename: str) -> str:
    return f"consents/{instance.citizen_id}/{instance.authorization_sha256[:16]}"


class AssistedConsent(models.Model):
    """A citizen's consent that one staff member of one agency files online dossiers on her behalf (nộp hộ).

    Opened once her identity is verified against the population database; granted when she reads out the code sent
    to her phone (a keyed hash, bound to the phone, 10 minutes, 5 tries, as :class:`VerificationCode`) or when her
    signed authorization is uploaded; good until ``expires_at`` (for any procedure) unless she withdraws it from her
    account. Every use and change is logged (:class:`AssistedConsentLog`)."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="assisted_consents")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("consent given by"), max_length=20, choices=ConsentMethod.choices, blank=True)
    phone = models.CharField(max_length=20, blank=True)  # where the code went
    code_hash = models.CharField(max_length=128, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    authorization = models.FileField(upload_to=authorization_path, max_length=300, blank=True)
    authorization_name = models.CharField(max_length=255, blank=True)
    authorization_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    granted_at = models.DateTimeField(_("granted"), null=True, blank=True)
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent to assisted filing")
        verbose_name_plural = _("consents to assisted filing")
        indexes = [models.Index(fields=["citizen", "-created_at"], name="consent_citizen"),
                   models.Index(fields=["staff", "-created_at"], name="consent_staff")]

    def __str__(self) -> str:
        return f"{self.citizen} → {self.staff} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def granted(self) -> bool:
        return self.granted_at is not None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def active(self) -> bool:
        """Granted, not withdrawn, not expired: the staff member may file with it now."""
        return bool(self.granted_at and not self.withdrawn_at and self.expires_at and self.expires_at > timezone.now())

    @property
    def your_method(self) -> str:
        """How she consented, in her words (her account page; staff pages show ``get_method_display``)."""
        return str(YOUR_CONSENT_METHOD[ConsentMethod(self.method)]) if self.method in ConsentMethod.values else ""

    @property
    def staff_name(self) -> str:
        """The staff member's name, family name first (as Vietnamese names are written)."""
        return f"{self.staff.last_name} {self.staff.first_name}".strip() or self.staff.get_username()

    @property
    def withdrawable(self) -> bool:
        return not self.withdrawn_at and (self.granted_at is None or bool(
            self.expires_at and self.expires_at > timezone.now()))


class ConsentAction(models.TextChoices):
    OPENED = "opened", _("Identity verified, consent asked")
    CODE_SENT = "code_sent", _("Code sent to the citizen's phone")
    WRONG_CODE = "wrong_code", _("Wrong code typed")
    GRANTED = "granted", _("Consent granted")
    USED = "used", _("Dossier filed on the citizen's behalf")
    REFUSED = "refused", _("Use refused")
    WITHDRAWN = "withdrawn", _("Consent withdrawn")


class AssistedConsentLog(models.Model):
    """Append-only: what happened to a consent, when, by whom (the audit trail of assisted filing)."""

    consent = models.ForeignKey(AssistedConsent, on_delete=models.CASCADE, related_name="log")
    action = models.CharField(max_length=20, choices=ConsentAction.choices)
    at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    dossier = models.ForeignKey("dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("assisted filing log entry")
        verbose_name_plural = _("assisted filing log")
        indexes = [models.Index(fields=["dossier"], name="consent_log_dossier")]

    def __str__(self) -> str:
        return f"{self.consent_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
