"""Satisfaction and feedback: ratings of the service and petitions (phản ánh, kiến nghị) that staff answer.

- :class:`Rating` — a score 1–5 with three optional yes/no answers and a comment, from one of three channels:
  the applicant's account after the result was returned, the QR code stuck on a counter, or the QR code printed on
  the receipt. Ratings count in the satisfaction group of the service-quality index (Decision 766/QĐ-TTg).
- :class:`Petition` — feedback about a procedure or service, or a petition, sent to an agency, answered by its
  staff and published only when the sender agreed. :class:`PetitionEvent` records who changed what, and when.

Rules live in ``feedback.services`` (writes) and ``feedback.selectors`` (reads); the models hold data and the
invariants the database can enforce (one rating per dossier, whichever channel it came from; scores 1–5, no
publication without consent).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

COMMENT_MAX = 1000
BODY_MAX = 5000


class RatingChannel(models.TextChoices):
    ACCOUNT = "account", _("Applicant account, after the result was returned")
    COUNTER_QR = "counter_qr", _("QR code at a counter")
    RECEIPT_QR = "receipt_qr", _("QR code on the receipt")


# The channels that rate a dossier (a counter QR code is not tied to one): a dossier is rated once, by either.
DOSSIER_CHANNELS = (RatingChannel.ACCOUNT, RatingChannel.RECEIPT_QR)


class Score(models.IntegerChoices):
    VERY_DISSATISFIED = 1, _("Very dissatisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    NEUTRAL = 3, _("Neither satisfied nor dissatisfied")
    SATISFIED = 4, _("Satisfied")
    VERY_SATISFIED = 5, _("Very satisfied")


class Rating(models.Model):
    score = models.PositiveSmallIntegerField(_("score"), choices=Score.choices,
                                             validators=[MinValueValidator(1), MaxValueValidator(5)])
    # optional answers: None means "not answered"
    guidance_clear = models.BooleanField(_("guidance was clear"), null=True, blank=True)
    staff_courteous = models.BooleanField(_("staff were courteous"), null=True, blank=True)
    on_time = models.BooleanField(_("on time"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, validators=[MaxLengthValidator(COMMENT_MAX)])
    channel = models.CharField(_("channel"), max_length=20, choices=RatingChannel.choices)
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="ratings")
    agency = models.ForeignKey("agencies.Agency", verbose_name=_("agency"), on_delete=models.PROTECT,
                               related_name="ratings")
    counter = models.ForeignKey("agencies.Counter", verbose_name=_("counter"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="ratings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("rated at"), default=timezone.now)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_5"),
            # the applicant rates a dossier once: from their account or with its receipt's QR code, not both
            models.UniqueConstraint(fields=["dossier"], name="one_rating_per_dossier",
                                    condition=models.Q(dossier__isnull=False)),
        ]
        indexes = [models.Index(fields=["agency", "created_at"], name="rating_agency_time")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.score}"


class PetitionKind(models.TextChoices):
    FEEDBACK = "feedback", _("Feedback about a procedure or service (phản ánh)")
    PETITION = "petition", _("Petition or proposal (kiến nghị)")


class PetitionStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ANSWERED = "answered", _("Answered")


class Petition(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PetitionKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("content"), validators=[MaxLengthValidator(BODY_MAX)])
    agency = models.ForeignKey("agencies.Agency", verbose_name=_("agency concerned"), on_delete=models.PROTECT,
                               related_name="petitions")
    dossier_code = models.CharField(_("dossier code"), max_length=40, blank=True)
    # the sender: never shown publicly
    sender_name = models.CharField(_("name"), max_length=200)
    sender_phone = models.CharField(_("phone"), max_length=20, blank=True)
    sender_email = models.EmailField(_("email"), blank=True)
    sender_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sender account"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="petitions")
    language = models.CharField(_("language"), max_length=5, default="vi")
    consent_to_publish = models.BooleanField(_("sender agrees to publication"), default=False)

    status = models.CharField(_("status"), max_length=20, choices=PetitionStatus.choices,
                              default=PetitionStatus.RECEIVED)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    published = models.BooleanField(_("published"), default=False)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("feedback or petition")
        verbose_name_plural = _("feedback and petitions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(sender_phone="", sender_email=""),
                                   name="petition_has_contact"),
            models.CheckConstraint(
                condition=models.Q(published=False) | models.Q(consent_to_publish=True, status="answered"),
                name="petition_published_with_consent",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "status", "created_at"], name="petition_staff_queue"),
            models.Index(fields=["published", "answered_at"], name="petition_public"),
        ]

    def __str__(self) -> str:
        return self.code


class PetitionEvent(models.Model):
    """One change of a petition (submitted, answered, published, unpublished): who, when, what."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        ANSWER = "answer", _("Answered")
        REVISE = "revise", _("Answer revised")
        PUBLISH = "publish", _("Published")
        UNPUBLISH = "unpublish", _("Withdrawn from publication")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(_("by"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["petition", "at", "pk"]
        verbose_name = _("change of a petition")
        verbose_name_plural = _("changes of petitions")

    def __str__(self) -> str:
        return f"{self.petition_id} {self.action} {self.at}"


class PetitionCounter(models.Model):
    """The running number of the year's petitions (the 000123 of ``PAKN-2026-000123``)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
