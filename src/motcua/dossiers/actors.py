"""Who acts on a dossier: a staff member with roles per agency, an applicant, or an integration.

A citizen's or business's account carries its :class:`Identity` (who the account holder is, as the account
records it). ``dossiers`` sits below ``accounts``, so it does not read accounts itself: ``accounts`` registers
the function that finds an account's identity (:func:`identify_with`, from its ``AppConfig.ready``), and
:meth:`Actor.for_user` asks it for users without staff roles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from motcua.agencies.models import Membership


@dataclass(frozen=True)
class Identity:
    """The account holder of a citizen or business account, as the account records it: the applicant of every
    dossier the account submits online. Empty strings where the account has no value."""

    kind: str
    name: str
    id_number: str
    phone: str = ""
    email: str = ""
    verified: bool = False  # the citizen ID, name and date of birth were checked with the population database


IdentitySource = Callable[[Any], Identity | None]
_identity_sources: list[IdentitySource] = []


def identify_with(source: IdentitySource) -> None:
    """Register the function that gives a user's account :class:`Identity` (``None``: not a citizen account)."""
    if source not in _identity_sources:
        _identity_sources.append(source)


def identity_of(user: Any) -> Identity | None:
    for source in _identity_sources:
        identity = source(user)
        if identity is not None:
            return identity
    return None


@dataclass(frozen=True)
class Actor:
    """The one who takes an action. ``roles`` maps agency id → the roles held there (active memberships);
    ``identity`` is set for a citizen's or business's own account (no staff roles), ``None`` otherwise."""

    user_id: int | None
    name: str
    roles: dict[int, frozenset[str]] = field(default_factory=dict)
    identity: Identity | None = None

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        if not getattr(user, "is_authenticated", False):
            return cls(None, "")
        by_agency: dict[int, set[str]] = defaultdict(set)
        for agency_id, role in Membership.objects.filter(
            user_id=user.pk, is_active=True, agency__is_active=True
        ).values_list("agency_id", "role"):
            by_agency[agency_id].add(role)
        name = (f"{user.last_name} {user.first_name}".strip() if hasattr(user, "last_name") else "") or user.username
        roles = {agency: frozenset(held) for agency, held in by_agency.items()}
        return cls(user.pk, name, roles, None if roles else identity_of(user))

    def roles_at(self, agency_id: int | None) -> frozenset[str]:
        return self.roles.get(agency_id, frozenset()) if agency_id is not None else frozenset()

    def agencies_with(self, *roles: str) -> set[int]:
        return {agency for agency, held in self.roles.items() if not roles or held & set(roles)}
