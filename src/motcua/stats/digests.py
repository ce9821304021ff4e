"""The leaders' supervision digests (issue 13): every active leader and supervisor with an email receives, for
their scope (``stats.scope``), the figures of the previous working day (daily) or of last week (weekly — on
Mondays) and the overdue dossiers named: code, procedure, officer, working days late.

``motcua send_digests --if-due`` (run by ``motcua serve`` every ``MOTCUA_DIGEST_CHECK_MINUTES``) sends what is
due: the daily digest from ``MOTCUA_DIGEST_HOUR`` on working days, the weekly one from that hour on Monday (or
the first check after it). Each (user, kind, period) is recorded in ``DigestSent`` in the transaction that sends
it, so a digest is never sent twice, and a failed send is tried again at the next check.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from motcua.agencies.models import Membership
from motcua.core.calendar import VN_TZ
from motcua.core.web import public_url, site_root
from motcua.dossiers import deadlines
from motcua.dossiers.actors import Actor
from motcua.stats import board, supervision
from motcua.stats.models import DailyRollup, DigestKind, DigestSent
from motcua.stats.periods import Period, period_of
from motcua.stats.scope import SUPERVISING, scope_of

logger = logging.getLogger(__name__)
DEFAULT_SITE = "http://127.0.0.1:8000"  # as load_demo's default
NAMED = 50  # the overdue dossiers named in one digest (the rest are counted, the board lists them)


def recipients() -> list[Any]:
    """The active users holding an active leader or supervisor membership, with an email."""
    users = Membership.objects.filter(role__in=SUPERVISING, is_active=True, agency__is_active=True,
                                      user__is_active=True).exclude(user__email="").values("user_id")
    return list(get_user_model().objects.filter(pk__in=users).order_by("pk"))


def daily_period(now: datetime) -> Period:
    """The working day before ``now``'s day."""
    cal = deadlines.calendar()
    day = now.astimezone(VN_TZ).date() - timedelta(days=1)
    for _ in range(30):
        if cal.is_working_day(day):
            break
        day -= timedelta(days=1)
    return period_of("day", day)


def weekly_period(now: datetime) -> Period:
    return period_of("week", now.astimezone(VN_TZ).date()).previous()


def due(now: datetime, *, if_due: bool) -> list[tuple[str, Period]]:
    """The digests to send at ``now``: with ``if_due``, only those whose hour has come (the daily one on a working
    day, the weekly one in a week whose Monday has passed the hour); without, both."""
    local = now.astimezone(VN_TZ)
    if not if_due:
        return [(DigestKind.DAILY, daily_period(now)), (DigestKind.WEEKLY, weekly_period(now))]
    out: list[tuple[str, Period]] = []
    if local.hour >= settings.MOTCUA_DIGEST_HOUR and deadlines.calendar().is_working_day(local.date()):
        out.append((DigestKind.DAILY, daily_period(now)))
    if local.weekday() > 0 or local.hour >= settings.MOTCUA_DIGEST_HOUR:
        out.append((DigestKind.WEEKLY, weekly_period(now)))
    return out


@dataclass
class Digest:
    kind: str
    period: Period
    units: list[board.Unit]
    figures: dict[str, Any]
    overdue: list[dict[str, Any]]
    overdue_total: int

    def context(self) -> dict[str, Any]:
        return {"kind": self.kind, "daily": self.kind == DigestKind.DAILY, "period": self.period,
                "units": self.units, "figures": self.figures, "overdue": self.overdue,
                "overdue_total": self.overdue_total, "more": self.overdue_total - len(self.overdue),
                "board_url": board_url()}


def board_url() -> str:
    """The board's absolute address for a mail client: ``MOTCUA_PUBLIC_URL``, else the request being served,
    else the development server's (the digests run outside any request: ``check --deploy`` asks for the
    setting)."""
    path = reverse("workspace:stats_board")
    return public_url(path) if site_root() else DEFAULT_SITE + path


def build(actor: Actor, kind: str, period: Period, now: datetime) -> Digest | None:
    """The digest of ``actor``'s scope for ``period`` (None for an empty scope)."""
    scope = scope_of(actor)
    if not scope:
        return None
    units = board.board(board.units_of(scope), now)
    agencies = [a for u in units for a in u.agency_ids]
    sums = DailyRollup.objects.filter(agency_id__in=agencies, day__gte=period.first, day__lte=period.last).aggregate(
        received=Sum("received"))
    handled: Counter[str] = Counter()
    for counts in supervision.rate_figures(agencies, period).values():
        handled.update(counts)
    figures: dict[str, Any] = {"received": sums["received"] or 0, **supervision.with_rate(handled)}
    # the index's 2.1: open dossiers past due at the period's end count against the rate
    figures["percent"] = "—" if figures["rate"] is None else f"{figures['rate'] * 100:.0f}%"
    totals: Counter[str] = board.totals(units)
    figures["open_overdue"] = totals["overdue"]
    found = board.drill(agencies, "overdue", now).select_related("procedure", "version", "current_agency",
                                                                 "assignee")
    cal = deadlines.calendar()
    overdue = [{"code": d.code, "procedure": f"{d.procedure.code} – {d.version.name_vi}",
                "agency": d.current_agency.name if d.current_agency else "",
                "officer": board.officer_name(d.assignee), "days_late": board.days_between(cal, d.due_at, now)}
               for d in found[:NAMED]]
    return Digest(kind, period, [u for u in units if u.open or u.counts["received"]], figures, overdue,
                  totals["overdue"])


def send(user: Any, kind: str, period: Period, now: datetime) -> bool:
    """Mail ``user`` their digest of ``kind`` for ``period`` unless already sent; True if sent now."""
    with transaction.atomic():
        record, created = DigestSent.objects.get_or_create(user=user, kind=kind, period=period.key,
                                                           defaults={"sent_at": now})
        if not created:
            return False
        digest = build(Actor.for_user(user), kind, period, now)
        if digest is None:
            record.delete()
            return False
        context = digest.context()
        with translation.override(settings.LANGUAGE_CODE):
            subject = " ".join(render_to_string("stats/digest_subject.txt", context).split())
            text = render_to_string("stats/digest.txt", context)
            html = render_to_string("stats/digest.html", context)
        message = EmailMultiAlternatives(subject, text, to=[user.email])
        message.attach_alternative(html, "text/html")
        message.send()
        record.overdue = digest.overdue_total
        record.save(update_fields=["overdue"])
    return True


def without_address() -> int:
    """How many active users hold an active leader or supervisor membership but have no email (no digest)."""
    users = Membership.objects.filter(role__in=SUPERVISING, is_active=True, agency__is_active=True,
                                      user__is_active=True, user__email="").values("user_id")
    return get_user_model().objects.filter(pk__in=users).count()


def send_due(now: datetime | None = None, *, if_due: bool = False, users: Iterable[Any] | None = None) -> int:
    """Send every digest due at ``now`` to every recipient; returns how many were sent. A failure for one user
    is logged and tried again at the next run."""
    now = now or timezone.now()
    sent = 0
    jobs = due(now, if_due=if_due)
    people = list(users) if users is not None else (recipients() if jobs else [])
    for kind, period in jobs:
        for user in people:
            try:
                sent += send(user, kind, period, now)
            except Exception:  # noqa: BLE001 - one bad address must not stop the others' digests
                logger.exception("digest %s %s to user %s failed", kind, period.key, user.pk)
    return sent
