"""What the staff pages read beyond ``dossiers.selectors``: the service points where an officer receives, the
choices the reception and action forms offer, the parts of a dossier its page lists, the demo's sign-in list.
The pages never query the ORM themselves; every read that depends on the officer is scoped by their memberships.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from motcua.accounts.models import AssistedConsent, AssistedConsentLog, ConsentAction
from motcua.agencies.models import Agency, Counter, Membership, Role
from motcua.agencies.selectors import RECEIVING_KINDS
from motcua.catalog.models import ProcedureVersion
from motcua.catalog.selectors import versions_in_force
from motcua.demo import AGENCIES_FILE
from motcua.dossiers import routing
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Attachment, Dossier, DossierComponent
from motcua.feedback.models import Petition, PetitionStatus, Rating
from motcua.feedback.selectors import petitions_for, ratings_for
from motcua.geo.models import AdministrativeUnit
from motcua.payments import selectors as payment_selectors
from motcua.payments.models import PaymentMethod

FRONT_ROLES = (Role.RECEPTION, Role.POSTAL)
COUNTER_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD)


def collect_form(actor: Actor, dossier: Dossier, post: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The fee collection form of the dossier page, for front staff of one of the dossier's collection points
    while a fee is due (None otherwise): the amount due (prefilled), cash or card, and a fresh one-time key (or
    what was posted, shown again with an error)."""
    if dossier.status in payment_selectors.UNPAYABLE or payment_selectors.collecting_point(actor, dossier) is None:
        return None
    due = payment_selectors.amount_due(dossier)
    if not due:
        return None
    post = post or {}
    return {"due": due, "methods": [(m.value, m.label) for m in COUNTER_METHODS],
            "method": post.get("method") or PaymentMethod.CASH, "amount": post.get("amount") or str(due),
            "reference": post.get("reference", ""), "key": post.get("key") or uuid.uuid4().hex}


def demo_accounts() -> list[dict[str, Any]]:
    """The hypothetical accounts of the demo province (trial mode only), with their roles and agencies."""
    names = [row["username"] for row in json.loads(AGENCIES_FILE.read_text(encoding="utf-8"))["staff"]]
    accounts: dict[str, dict[str, Any]] = {}
    for membership in Membership.objects.filter(user__username__in=names, is_active=True).select_related(
        "user", "agency"
    ).order_by("agency__identifier_code", "user__username"):
        account = accounts.setdefault(membership.user.username, {"username": membership.user.username, "roles": []})
        account["roles"].append(f"{membership.get_role_display()} – {membership.agency.name}")
    return list(accounts.values())


# what a queue row shows (``workspace/_queue.html``, ``views.queues._rows``): the rest of the dossier and of its
# procedure version (long texts), its agencies and its assignee are not read
QUEUE_ROW_FIELDS = ("code", "status", "applicant_name", "plan", "step_index", "due_at", "step_due_at",
                    "apology_due_at", "version__name_vi")


def queue_rows(actor: Actor, name: str, now: datetime, *, start: int, count: int) -> list[Dossier]:
    """``count`` dossiers of the actor's queue ``name`` from position ``start``, with the columns a row shows."""
    return list(dossier_selectors.queue(actor, name, now).select_related(None).select_related("version")
                .only(*QUEUE_ROW_FIELDS)[start:start + count])


# --- reception -------------------------------------------------------------------------------------------


def receiving_points(actor: Actor) -> list[Agency]:
    """The service points where the actor receives dossiers."""
    return list(Agency.objects.filter(
        pk__in=actor.agencies_with(*FRONT_ROLES), kind__in=RECEIVING_KINDS, is_active=True
    ).order_by("identifier_code"))


def version_components(version: ProcedureVersion | None) -> list[Any]:
    """A procedure version's components, in order (none without a version)."""
    return list(version.components.all()) if version is not None else []


def counters(point: Agency) -> list[Counter]:
    return list(point.counters.all())


def competent_units(version: ProcedureVersion, point: Agency | None = None) -> list[AdministrativeUnit]:
    """The communes an officer may pick as competent for a procedure received anywhere (``boundary_free``) and
    handled by a commune, in ``point``'s province; none otherwise (the unit follows from the point)."""
    return routing.competent_communes(version, point)


# --- the dossier page ------------------------------------------------------------------------------------


def components(dossier: Dossier) -> list[DossierComponent]:
    """The dossier's components with their catalogue component and files (the page's checklist), each file with
    its digitization and, for a certified copy, its certification."""
    files = Attachment.objects.select_related("digitization__digitized_by", "certification__certified_by")
    return list(dossier.components.select_related("component").prefetch_related(Prefetch("attachments", files)))


def attachments(dossier: Dossier) -> list[Attachment]:
    return list(dossier.attachments.select_related("component", "certification"))


def officers(dossier: Dossier) -> list[Any]:
    """The officers who hold the dossier's current role at its current agency (whom it may be assigned to)."""
    if dossier.current_agency_id is None:
        return []
    return [
        m.user for m in Membership.objects.filter(
            agency_id=dossier.current_agency_id, role=dossier.current_role, is_active=True, user__is_active=True,
        ).select_related("user").order_by("user__last_name", "user__first_name", "user__username")
    ]


def other_agencies(dossier: Dossier) -> QuerySet[Agency]:
    """The agencies the dossier may be handed over to (all active ones but its current agency)."""
    return Agency.objects.filter(is_active=True).exclude(pk=dossier.current_agency_id or 0).order_by("kind", "name")


# --- feedback --------------------------------------------------------------------------------------------


def petitions(actor: Actor, status: str = "") -> QuerySet[Petition]:
    """The petitions about the actor's agencies, those of one status if ``status`` is one."""
    found = petitions_for(actor)
    return found.filter(status=status) if status in PetitionStatus.values else found


def latest_ratings(actor: Actor, since: datetime, until: datetime, count: int) -> list[Rating]:
    """The latest ``count`` ratings of the actor's agencies over ``[since, until)``."""
    return list(ratings_for(actor, since, until)[:count])


# --- assisted filing (issue 15) ------------------------------------------------------------------------------


def online_procedures() -> list[ProcedureVersion]:
    """The procedures in force that can be filed online (what an officer may file on a citizen's behalf), by
    name; one query whatever their number."""
    return [v for v in versions_in_force().select_related("procedure").order_by("name_vi") if v.submits_online()]


def assisted_consent(user_id: int | None, consent_id: int) -> AssistedConsent | None:
    """A consent this staff member asked for (another's is not found)."""
    return (AssistedConsent.objects.select_related("citizen", "agency", "staff")
            .filter(pk=consent_id, staff_id=user_id).first())


def consent_uses(consent: AssistedConsent) -> list[AssistedConsentLog]:
    """The dossiers filed with a consent, oldest first."""
    return list(consent.log.filter(action=ConsentAction.USED).select_related("dossier").order_by("at", "pk"))
