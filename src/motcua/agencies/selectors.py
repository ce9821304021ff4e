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


def superior_body(agency: Agency) -> str:
    """The body printed above ``agency`` in the header of its forms (Circular 01/2018, forms 01–05; the receipt):
    for a commune one-stop department, the People's Committee of its commune or ward (the agency of that kind for
    the same unit, else named after the unit); for a provincial service center without a parent, the provincial
    People's Committee; otherwise the agency's parent, if any."""
    unit = agency.unit
    if agency.kind == AgencyKind.COMMUNE_ONE_STOP or (
        agency.kind == AgencyKind.SERVICE_CENTER and agency.parent_id is None and unit is not None
        and unit.is_province
    ):
        committee = Agency.objects.filter(kind=AgencyKind.PEOPLE_COMMITTEE, unit_id=agency.unit_id,
                                          is_active=True).order_by("pk").first() if unit is not None else None
        if committee is not None:
            return committee.name
        if unit is not None:
            return f"Ủy ban nhân dân {unit.name[:1].lower()}{unit.name[1:]}"
    return agency.parent.name if agency.parent is not None else ""
