from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """A day that the government declared off (extra holiday) or on (make-up working day) for a given year.

    The statutory holidays come from the ``holidays`` package; each year the Prime Minister and the Ministry of
    Home Affairs announce swaps (nghỉ bù, làm bù) that administrators enter here. An override wins over the
    package and over the weekend rule.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Day off")
        WORKDAY = "workday", _("Working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("reason"), max_length=200)
    decision = models.CharField(_("announcing document"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} – {self.get_kind_display()}: {self.name}"


class ThrottleWindow(models.Model):
    """How many times one key (a scope and a client address) was used in the fixed window ending at ``ends_at``:
    the throttles' counts when there is no Redis (``core.throttles``), shared by every web process and
    incremented in the database, atomically. On PostgreSQL an UNLOGGED table (migration 0004): no write-ahead log
    per count; a database crash empties it, which only opens new windows early."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    ends_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {self.ends_at:%H:%M:%S}"
