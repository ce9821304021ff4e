"""API tokens for staff and integrations (``Authorization: Bearer …``), issued by ``motcua create_token``.

Only a SHA-256 of each token is stored; the token itself is shown once, when it is created.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    # The token store's reads and writes, so that the API modules never query it themselves.

    @classmethod
    def issue(cls, user: Any, *, name: str, prefix: str, key_hash: str) -> ApiToken:
        return cls.objects.create(user=user, name=name[:100], prefix=prefix, key_hash=key_hash)

    @classmethod
    def usable(cls, key_hash: str) -> ApiToken | None:
        """The active token with this hash, of an active user (with the user), or ``None``."""
        return cls.objects.select_related("user").filter(key_hash=key_hash, is_active=True,
                                                         user__is_active=True).first()

    def mark_used(self, now: datetime) -> None:
        type(self).objects.filter(pk=self.pk).update(last_used_at=now)
