"""Who acts on a dossier: a staff member with roles per agency, an applicant, or an integration."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from motcua.agencies.models import Membership


@dataclass(frozen=True)
class Actor:
    """The one who takes an action. ``roles`` maps agency id → the roles held there (active memberships)."""

    user_id: int | None
    name: str
    roles: dict[int, frozenset[str]] = field(default_factory=dict)

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
        return cls(user.pk, name, {agency: frozenset(roles) for agency, roles in by_agency.items()})

    def roles_at(self, agency_id: int | None) -> frozenset[str]:
        return self.roles.get(agency_id, frozenset()) if agency_id is not None else frozenset()

    def agencies_with(self, *roles: str) -> set[int]:
        return {agency for agency, held in self.roles.items() if not roles or held & set(roles)}
