"""Reads of the feedback app, always scoped: staff see the petitions and ratings of the agencies they belong to
(an active membership, any role), the public sees only answered petitions published with the sender's consent and
never a sender's name or contact.

:func:`satisfaction` is the input of the satisfaction group of the service-quality index (Decision 766/QĐ-TTg):
ratings, their average and the share of satisfied ones, and the number of complaints (feedback about the
agencies). The index's formulas themselves live in the statistics work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Avg, Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, Counter
from motcua.agencies.selectors import public_agencies
from motcua.core.errors import NotFound
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import Status
from motcua.feedback.models import (
    Petition,
    PetitionEvent,
    PetitionKind,
    PetitionStatus,
    Rating,
    RatingChannel,
    Score,
)

SATISFIED = 4  # scores from 4 up count as satisfied


# --- public ----------------------------------------------------------------------------------------------


def public_agency(code: str) -> Agency | None:
    return public_agencies().filter(identifier_code=code).first()


def petition_agencies() -> QuerySet[Agency]:
    """The agencies a petition may be about: every active agency, service points first."""
    return public_agencies().order_by("kind", "name")


def counter(agency_code: str, number: int) -> Counter | None:
    return Counter.objects.select_related("agency").filter(
        agency__identifier_code=agency_code, agency__is_active=True, number=number).first()


def counters_of(agency: Agency) -> QuerySet[Counter]:
    return Counter.objects.filter(agency=agency).order_by("number")


def published_petitions() -> QuerySet[Petition]:
    """Answered petitions the sender agreed to publish, newest answer first (no sender data is selected)."""
    return (
        Petition.objects.filter(published=True, status=PetitionStatus.ANSWERED, consent_to_publish=True)
        .select_related("agency")
        .only("code", "kind", "status", "subject", "body", "answer", "created_at", "answered_at", "agency__name",
              "agency__identifier_code")
        .order_by("-answered_at", "-pk")
    )


def _phone_digits(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    return "0" + digits[2:] if digits.startswith("84") and len(digits) > 10 else digits


def lookup_petition(code: str, contact: str) -> Petition | None:
    """The sender's own petition, by its code and the phone or email given with it (both must match)."""
    petition = Petition.objects.select_related("agency").filter(code=code.strip().upper()).first()
    contact = contact.strip()
    if petition is None or not contact:
        return None
    if petition.sender_email and contact.casefold() == petition.sender_email.casefold():
        return petition
    if petition.sender_phone and _phone_digits(contact) == _phone_digits(petition.sender_phone):
        return petition
    return None


# --- the applicant's ratings -----------------------------------------------------------------------------


def own_dossier(user: Any, code: str) -> Dossier | None:
    """The dossier ``code`` if ``user`` is its applicant account, else ``None``."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Dossier.objects.select_related("receiving_agency").filter(code=code, applicant_user_id=user.pk).first()


def dossier_exists(code: str) -> bool:
    """Whether a dossier (not a draft) has the code ``code``: a rating refused for a code nobody has is told
    apart from one refused because the dossier is someone else's."""
    return Dossier.objects.filter(code=code).exclude(status=Status.DRAFT).exists()


def rating_of(dossier: Dossier) -> Rating | None:
    """The dossier's rating, from the applicant's account or its receipt's QR code (there is at most one)."""
    return Rating.objects.filter(dossier=dossier).first()


def rated(dossier_id: int | None) -> bool:
    return dossier_id is not None and Rating.objects.filter(dossier_id=dossier_id).exists()


@dataclass(frozen=True)
class DossierRating:
    """What the dossier page shows: the form (``can_rate``), the rating given, or nothing."""

    owner: bool
    returned: bool
    rating: Rating | None

    @property
    def can_rate(self) -> bool:
        return self.owner and self.returned and self.rating is None


def dossier_rating(dossier: Dossier, user: Any) -> DossierRating:
    owner = bool(getattr(user, "is_authenticated", False) and dossier.applicant_user_id == user.pk)
    return DossierRating(owner=owner, returned=dossier.status == Status.RETURNED,
                         rating=rating_of(dossier) if owner else None)


# --- staff -----------------------------------------------------------------------------------------------


def petitions_for(actor: Actor) -> QuerySet[Petition]:
    """Petitions about the actor's agencies: unanswered first (oldest waiting first), then latest answers."""
    agencies = sorted(actor.agencies_with())
    if not agencies:
        return Petition.objects.none()
    return (
        Petition.objects.filter(agency_id__in=agencies)
        .select_related("agency")
        .annotate(waiting=Case(When(status=PetitionStatus.RECEIVED, then=Value(0)), default=Value(1),
                               output_field=IntegerField()))
        .order_by("waiting", F("answered_at").desc(nulls_last=True), "created_at", "pk")
    )


def petition_for(actor: Actor, code: str) -> Petition:
    """One petition of the actor's agencies (404 otherwise: others' codes reveal nothing)."""
    petition = petitions_for(actor).select_related("answered_by", "published_by").filter(code=code).first()
    if petition is None:
        raise NotFound("petition_not_found", _("No feedback or petition has the code %(code)s."), {"code": code[:30]})
    return petition


def petition_events(petition: Petition) -> QuerySet[PetitionEvent]:
    return PetitionEvent.objects.filter(petition=petition).order_by("at", "pk")


def ratings_for(actor: Actor, since: datetime, until: datetime | None = None) -> QuerySet[Rating]:
    agencies = sorted(actor.agencies_with())
    result = Rating.objects.filter(agency_id__in=agencies, created_at__gte=since).select_related(
        "agency", "counter", "dossier")
    if until is not None:
        result = result.filter(created_at__lt=until)
    return result.order_by("-created_at", "-pk")


def staff_agencies(actor: Actor) -> QuerySet[Agency]:
    return Agency.objects.filter(pk__in=sorted(actor.agencies_with())).order_by("kind", "name")


# --- the index -------------------------------------------------------------------------------------------


@dataclass
class Satisfaction:
    """The satisfaction figures of some agencies over ``[since, until)``.

    ``share_satisfied`` is the fraction (0–1) of ratings with a score of 4 or 5; ``average`` the mean score;
    both ``None`` without ratings. ``complaints`` counts the feedback (phản ánh, not petitions) about the
    agencies received in the period — the "% with complaints" of handling satisfaction is computed from it and the
    dossiers by the index.
    """

    ratings: int = 0
    average: float | None = None
    satisfied: int = 0
    share_satisfied: float | None = None
    by_score: dict[int, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    complaints: int = 0
    petitions: int = 0


def satisfaction(agency_ids: Iterable[int], since: datetime, until: datetime) -> Satisfaction:
    """Ratings and complaints of ``agency_ids`` from ``since`` (included) to ``until`` (excluded); two queries."""
    ids = sorted(set(agency_ids))
    aggregates: dict[str, Any] = {
        "ratings": Count("pk"),
        "average": Avg("score"),
        "satisfied": Count("pk", filter=Q(score__gte=SATISFIED)),
        **{f"score_{s}": Count("pk", filter=Q(score=s)) for s in Score.values},
        **{f"channel_{c}": Count("pk", filter=Q(channel=c)) for c in RatingChannel.values},
    }
    row = Rating.objects.filter(agency_id__in=ids, created_at__gte=since, created_at__lt=until).aggregate(
        **aggregates)
    petitions = Petition.objects.filter(agency_id__in=ids, created_at__gte=since, created_at__lt=until).aggregate(
        petitions=Count("pk"), complaints=Count("pk", filter=Q(kind=PetitionKind.FEEDBACK)))
    count = row["ratings"] or 0
    return Satisfaction(
        ratings=count,
        average=round(float(row["average"]), 2) if count else None,
        satisfied=row["satisfied"] or 0,
        share_satisfied=(row["satisfied"] / count) if count else None,
        by_score={s: row[f"score_{s}"] for s in Score.values},
        by_channel={c: row[f"channel_{c}"] for c in RatingChannel.values},
        complaints=petitions["complaints"] or 0,
        petitions=petitions["petitions"] or 0,
    )
