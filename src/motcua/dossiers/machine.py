"""The dossier state machine: the one module that says which action may happen in which status, by whom.

The statuses and event kinds it speaks of are in ``dossiers.statuses`` (DESIGN.md §3).
Overdue is not a status; it is derived from the due dates (``dossiers.deadlines``).

Each action names the statuses it starts from, the roles that may take it, and *whose* agency must hold the
dossier: the receiving one-stop point (``RECEIVING``) or the agency of the current workflow step (``HOLDER``).
The services in ``dossiers.services`` call :func:`authorize` before they change anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.core.errors import MotCuaError
from motcua.dossiers.statuses import EventKind, Status

if TYPE_CHECKING:
    from motcua.dossiers.actors import Actor
    from motcua.dossiers.models import Dossier


RECEIVING = "receiving"  # the one-stop point or post office that received the dossier
HOLDER = "holder"  # the agency of the current workflow step
FRONT = (Role.RECEPTION, Role.POSTAL)
HANDLING = (Role.PROCESSING, Role.LEADER)


@dataclass(frozen=True)
class Action:
    name: str
    label: object
    sources: frozenset[str]
    roles: tuple[str, ...]
    where: str
    # True: only the current workflow step's role may act (forward, sign…); False: any of ``roles`` there
    step_role: bool


def _action(name: str, label: object, sources: set[str], roles: tuple[str, ...], where: str,
            step_role: bool = False) -> Action:
    return Action(name, label, frozenset(sources), roles, where, step_role)


S = Status
E = EventKind
ANY_STAFF = (Role.RECEPTION, Role.POSTAL, Role.PROCESSING, Role.LEADER, Role.SIGNER)
ACTIONS: dict[str, Action] = {a.name: a for a in [
    _action(E.RECEIVE, _("Accept the dossier"), {S.SUBMITTED}, FRONT, RECEIVING),
    _action(E.REQUEST_SUPPLEMENT, _("Request a supplement"),
            {S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS}, FRONT + HANDLING, HOLDER),
    _action(E.SUPPLEMENT, _("Record the supplement"), {S.SUPPLEMENT_REQUESTED}, FRONT, RECEIVING),
    _action(E.REFUSE, _("Refuse"), {S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.RECEIVED, S.IN_PROGRESS},
            FRONT + HANDLING, HOLDER),
    _action(E.TRANSFER, _("Hand over to the processing agency"), {S.RECEIVED, S.IN_PROGRESS}, FRONT + HANDLING, HOLDER,
            step_role=True),
    _action(E.ASSIGN, _("Assign"), {S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SIGNATURE, S.RESULT_READY},
            ANY_STAFF, HOLDER),
    _action(E.FORWARD, _("Send to the next step"), {S.IN_PROGRESS}, (Role.PROCESSING,), HOLDER, step_role=True),
    _action(E.SEND_BACK, _("Send back to an earlier step"), {S.IN_PROGRESS, S.AWAITING_SIGNATURE},
            (Role.PROCESSING, Role.LEADER, Role.SIGNER), HOLDER, step_role=True),
    _action(E.PAUSE, _("Pause"), {S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SIGNATURE}, ANY_STAFF, HOLDER),
    _action(E.RESUME, _("Resume"), {S.PAUSED}, ANY_STAFF, HOLDER),
    _action(E.APPROVE, _("Approve"), {S.IN_PROGRESS}, (Role.LEADER,), HOLDER, step_role=True),
    _action(E.ISSUE_RESULT, _("Sign and issue the result"), {S.AWAITING_SIGNATURE}, (Role.SIGNER,), HOLDER,
            step_role=True),
    _action(E.RETURN_RESULT, _("Return the result"), {S.RESULT_READY}, FRONT, HOLDER, step_role=True),
    _action(E.WITHDRAW, _("Withdraw at the applicant's request"),
            {S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED, S.PAUSED, S.AWAITING_SIGNATURE},
            FRONT, RECEIVING),
    _action(E.APOLOGIZE, _("Apologize and set a new date"),
            {S.RECEIVED, S.IN_PROGRESS, S.PAUSED, S.AWAITING_SIGNATURE, S.SUPPLEMENT_REQUESTED}, ANY_STAFF, HOLDER),
]}


# The applicant of an online dossier (its ``applicant_user``) may take these actions themselves, from the portal,
# in these statuses: answer a supplement request with the missing documents, and withdraw the dossier while the
# agency waits for them (before acceptance, or for a supplement: no handling is under way). Once the dossier is
# being handled, a withdrawal is asked at the one-stop point, which records it (staff ``withdraw``, any open status).
APPLICANT = "applicant"
APPLICANT_ACTIONS: dict[str, frozenset[str]] = {
    E.SUPPLEMENT: frozenset({S.SUPPLEMENT_REQUESTED}),
    E.WITHDRAW: frozenset({S.SUBMITTED, S.SUPPLEMENT_REQUESTED}),
}


def is_applicant(dossier: Dossier, actor: Actor) -> bool:
    return actor.user_id is not None and dossier.applicant_user_id == actor.user_id


class ActionRefused(MotCuaError):
    """The action is not allowed in the dossier's current status (409: the dossier moved on)."""

    status = 409


class Forbidden(MotCuaError):
    status = 403


def acting_agency(dossier: Dossier, action: Action) -> int | None:
    """The agency that must act: the receiving point, or the agency holding the dossier now."""
    if action.where == RECEIVING:
        return dossier.receiving_agency_id
    return dossier.current_agency_id


def authorize(dossier: Dossier, action_name: str, actor: Actor) -> tuple[Action, str]:
    """Check that ``actor`` may take ``action_name`` on ``dossier`` now; return the action and the role used.

    Raises :class:`ActionRefused` (status) or :class:`Forbidden` (role or agency). The state-specific rules
    of the law (one supplement request, the 3-day window, the single apology…) are in ``dossiers.rules``.
    """
    action = ACTIONS.get(action_name)
    if action is None:
        raise ActionRefused("unknown_action", _("There is no action called %(action)s."), {"action": action_name})
    if dossier.status not in action.sources:
        raise ActionRefused(
            "action_not_allowed_now",
            _("“%(action)s” is not possible while the dossier is “%(status)s”."),
            {"action": action.label, "status": Status(dossier.status).label},
        )
    if action.name in APPLICANT_ACTIONS and is_applicant(dossier, actor):
        if dossier.status in APPLICANT_ACTIONS[action.name]:
            return action, APPLICANT
        if not actor.roles:
            raise ActionRefused(
                "not_yours_to_take_now",
                _("You cannot “%(action)s” this dossier online while it is “%(status)s”; ask the one-stop point."),
                {"action": action.label, "status": Status(dossier.status).label},
            )
    agency_id = acting_agency(dossier, action)
    roles = actor.roles_at(agency_id) if agency_id else set()
    if action.step_role:
        allowed = [step for step in step_roles(dossier) if step in action.roles and step in roles][:1]
    else:
        allowed = [role for role in action.roles if role in roles]
    if not allowed:
        raise Forbidden(
            "not_your_dossier",
            _("You may not “%(action)s” this dossier: it is held by another agency or needs another role."),
            {"action": action.label},
        )
    if (
        action.step_role
        and dossier.assignee_id
        and dossier.assignee_id != actor.user_id
        and Role.LEADER not in roles
    ):
        raise Forbidden(
            "assigned_to_someone_else",
            _("This dossier is assigned to another officer; ask them or your leader."),
        )
    return action, allowed[0]


def step_roles(dossier: Dossier) -> list[str]:
    """The roles that do the current step: the step's own, then those its plan shares it with (a center's
    reception and return steps shared with postal staff working there, ``routing.share_front_with``)."""
    plan = dossier.plan or []
    step = plan[dossier.step_index] if 0 <= dossier.step_index < len(plan) else {}
    return [dossier.current_role, *(step.get("shared_with") or [])]


def may(dossier: Dossier, action_name: str, actor: Actor) -> bool:
    """Whether ``actor`` may take ``action_name`` on ``dossier`` now: what pages ask to show a button or a form,
    with the same answer :func:`authorize` gives the action itself."""
    try:
        authorize(dossier, action_name, actor)
    except (ActionRefused, Forbidden):
        return False
    return True


def available_actions(dossier: Dossier, actor: Actor) -> list[Action]:
    """The actions ``actor`` may take on ``dossier`` now (for the workspace's buttons)."""
    return [action for name, action in ACTIONS.items() if may(dossier, name, actor)]


def may_draft_result(dossier: Dossier, actor: Actor) -> bool:
    """Whether ``actor`` may draft the dossier's result now (generate it from a template, or upload a corrected
    draft): the processing officer holding it at a processing step, the one who may send it on to the next step."""
    return dossier.current_role == Role.PROCESSING and may(dossier, E.FORWARD, actor)


def authorize_draft(dossier: Dossier, actor: Actor) -> None:
    """:func:`may_draft_result`, or :class:`Forbidden`."""
    if not may_draft_result(dossier, actor):
        raise Forbidden("not_yours_to_draft",
                        _("Only the processing officer handling this dossier drafts its result, while it is in "
                          "progress at their step."))
