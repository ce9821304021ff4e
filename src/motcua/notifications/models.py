"""Notifications to applicants: one row per message and channel, the record of its delivery.

A :class:`Notification` is written by ``notifications.services.notify`` with its text already rendered, in the
request's transaction; a background task delivers it later (``notifications.tasks``). The row is therefore what
staff look at when a citizen says "I got nothing": what was sent, to whom, how many attempts, the last error.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    ZALO = "zalo", _("Zalo")


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="notifications")
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="notifications")
    channel = models.CharField(_("channel"), max_length=10, choices=NotificationChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    template = models.CharField(_("template"), max_length=100)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=5)
    status = models.CharField(_("status"), max_length=10, choices=NotificationStatus.choices,
                              default=NotificationStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # the staff alert counts failed ones; the admin lists newest first
            models.Index(fields=["status", "created_at"], name="notification_status"),
            models.Index(fields=["recipient"], name="notification_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}: {self.subject or self.body[:40]}"


class ZaloToken(models.Model):
    """The Zalo official account's current access token and the refresh token that made it (one row per OA).

    Zalo's refresh token is used once: each refresh answers a new one, which must be kept or the OA loses its
    access (``notifications.zalo``). Only the delivery of Zalo messages reads and writes this row.
    """

    oa_id = models.CharField(_("official account"), max_length=64, unique=True)
    access_token = models.TextField(_("access token"), blank=True)
    refresh_token = models.TextField(_("refresh token"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed"), null=True, blank=True)

    class Meta:
        verbose_name = _("Zalo access token")
        verbose_name_plural = _("Zalo access tokens")

    def __str__(self) -> str:
        return self.oa_id
