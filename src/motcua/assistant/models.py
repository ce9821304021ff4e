"""What citizens asked the assistant, kept for supervision (which questions it could not answer), without personal
data: long digit runs (ID and phone numbers) are removed before a question is stored (``assistant.services``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AnswerStatus(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    NOT_SURE = "not_sure", _("Not sure (hotline offered)")
    REFUSED = "refused", _("Refused")
    EMPTY = "empty", _("Empty question")


class AskChannel(models.TextChoices):
    WEB = "web", _("Portal")
    QR = "qr", _("QR code at a counter")
    API = "api", _("API")


class Question(models.Model):
    text = models.CharField(_("question"), max_length=500)
    folded = models.CharField(_("without diacritics"), max_length=500)
    matched_code = models.CharField(_("procedure found"), max_length=40, blank=True)
    score = models.FloatField(_("score"), default=0)
    status = models.CharField(_("answer"), max_length=20, choices=AnswerStatus.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=AskChannel.choices, default=AskChannel.WEB)
    language = models.CharField(_("language"), max_length=10, blank=True)
    counter = models.CharField(_("counter's agency"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("question to the assistant")
        verbose_name_plural = _("questions to the assistant")

    def __str__(self) -> str:
        return self.text[:80]
