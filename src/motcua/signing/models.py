"""Who signs with which certificate: the identities of people, agencies' seals and the system's own seal.

Keys are never in the database: an identity says where its key lives (a PKCS#12 file, a PKCS#11 token or HSM,
a remote-signing service of the Cloud Signature Consortium API) and caches the certificate for display and checks.
The PIN comes from the person at signing time, or from the environment for unattended seals
(``MOTCUA_SEAL_PIN``, ``MOTCUA_SYSTEM_SEAL_PIN``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    PERSONAL = "personal", _("Personal signature")
    SEAL = "seal", _("Agency seal")
    SYSTEM = "system", _("System seal")


class Backend(models.TextChoices):
    PKCS12 = "pkcs12", _("PKCS#12 file")
    PKCS11 = "pkcs11", _("PKCS#11 token or HSM")
    CSC = "csc", _("Remote signing (CSC API)")


class SigningIdentity(models.Model):
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="signing_identities")
    agency = models.ForeignKey("agencies.Agency", verbose_name=_("agency"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="signing_identities")
    backend = models.CharField(_("key storage"), max_length=10, choices=Backend.choices)
    reference = models.JSONField(
        _("key reference"), default=dict, blank=True,
        help_text=_('Where the key is, never the key: pkcs12 {"path"}; pkcs11 {"module", "token_label", '
                    '"key_label", "cert_label"}; csc {"url", "credential_id", "client", …}.'))
    certificate_pem = models.TextField(_("certificate (PEM)"), blank=True)
    subject_name = models.CharField(_("subject"), max_length=500, blank=True)
    issuer_name = models.CharField(_("issuer"), max_length=500, blank=True)
    serial = models.CharField(_("serial number"), max_length=100, blank=True)
    not_before = models.DateTimeField(_("valid from"), null=True, blank=True)
    not_after = models.DateTimeField(_("valid until"), null=True, blank=True)
    image = models.CharField(_("signature or seal image (PNG path)"), max_length=500, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("signing identity")
        verbose_name_plural = _("signing identities")
        indexes = [models.Index(fields=["purpose", "active"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.subject_name or self.pk}"
