"""Queries on agencies and the one rule that scopes staff to the agencies they belong to."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from motcua.agencies.models import Agency, AgencyKind, Membership


def staff_agency_ids(user: AbstractBaseUser | AnonymousUser, role: str | None = None) -> set[int]:
    """Ids of the agencies where ``user`` has an active membership (optionally with ``role``).

    Every staff query filters by this set; an anonymous or unattached user gets the empty set.
    """
    if not user.is_authenticated:
        return set()
    memberships = Membership.objects.filter(user_id=user.pk, is_active=True, agency__is_active=True)
    if role:
        memberships = memberships.filter(role=role)
    return set(memberships.values_list("agency_id", flat=True))


def public_agencies() -> QuerySet[Agency]:
    return Agency.objects.filter(is_active=True).select_related("unit")


RECEIVING_KINDS = (AgencyKind.SERVICE_CENTER, AgencyKind.COMMUNE_ONE_STOP, AgencyKind.POST_OFFICE)


def service_points() -> QuerySet[Agency]:
    """Where citizens submit dossiers and collect results: centers, one-stop departments, post offices."""
    return public_agencies().filter(kind__in=RECEIVING_KINDS)


def agency_by_code(code: str) -> Agency | None:
    return public_agencies().filter(identifier_code=code).first()
