"""Who the applicant is: the checks of an applicant's identifiers, the account holder as the applicant of an
online dossier sent from a citizen's or business's account, and a person's earlier dossiers joining her account
once its citizen ID is verified (:func:`link_to_account`)."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import identity
from motcua.core.errors import MotCuaError
from motcua.dossiers.actors import Identity
from motcua.dossiers.events import record
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import ApplicantKind, Dossier
from motcua.dossiers.statuses import EventKind, Status


def check_applicant(applicant: Any) -> list[MotCuaError]:
    errors: list[MotCuaError] = []
    number = identity.normalize(applicant.id_number)
    if applicant.kind == ApplicantKind.PERSON and not identity.is_citizen_id(number):
        errors.append(MotCuaError(
            "invalid_citizen_id",
            _("%(value)s is not a valid citizen ID: 12 digits starting with a province code (e.g. 022…)."),
            {"value": applicant.id_number}, "applicant.id_number",
        ))
    organization_id = identity.is_tax_code(number) or identity.is_citizen_id(number)
    if applicant.kind == ApplicantKind.ORGANIZATION and not organization_id:
        errors.append(MotCuaError(
            "invalid_tax_code",
            _("%(value)s is not a valid tax code (10 digits with a correct check digit, or 10-3 digits)."),
            {"value": applicant.id_number}, "applicant.id_number",
        ))
    if applicant.phone and not identity.is_phone(applicant.phone):
        errors.append(MotCuaError(
            "invalid_phone", _("%(value)s is not a Vietnamese phone number (e.g. 0912 345 678)."),
            {"value": applicant.phone}, "applicant.phone",
        ))
    if applicant.email and ("@" not in applicant.email or "." not in applicant.email.rsplit("@", 1)[-1]):
        errors.append(MotCuaError(
            "invalid_email", _("%(value)s is not an email address."), {"value": applicant.email}, "applicant.email",
        ))
    return errors


class NotAccountHolder(Forbidden):
    """An online dossier sent from a citizen's or business's account names someone other than the account holder
    (403: the caller may not act in another's name; the same data from reception staff at a counter is fine)."""

    def __init__(self, field: str) -> None:
        super().__init__(
            "applicant_not_account_holder",
            _("A dossier sent from your account is in your own name, with the ID number (or tax code), phone "
              "and email of your account. To submit for another person or business, they need their own account; "
              "to use another phone or email, change it in your account first."),
            location=f"applicant.{field}",
        )


def _same(field: str, given: str, held: str) -> bool:
    if field == "name":
        given, held = (" ".join(unicodedata.normalize("NFC", v).split()).casefold() for v in (given, held))
    elif field == "id_number":
        given, held = identity.normalize(given).upper(), identity.normalize(held).upper()
    elif field == "phone":
        given, held = identity.normalize_phone(given), identity.normalize_phone(held)
    elif field == "email":
        given, held = given.strip().lower(), held.strip().lower()
    return given == held


def own_applicant(applicant: dict[str, Any], holder: Identity) -> dict[str, Any]:
    """The applicant of an online dossier from a citizen's or business's account: the account holder.

    Kind, name, ID number (or tax code), phone and email are the account's; a field left empty is filled from the
    account, a name, number or contact that differs raises :class:`NotAccountHolder`. Only the address is the
    applicant's to give. An account without an ID number (an identity provider gave none) keeps the one given.
    Used by :func:`create_dossier` and by the portal's wizard (which shows the account's values)."""
    fixed = {"name": holder.name, "id_number": holder.id_number, "phone": holder.phone, "email": holder.email}
    if not holder.id_number:
        del fixed["id_number"]
    result = {**applicant, "kind": holder.kind}  # a person's or a business's account, whatever the form said
    for field, held in fixed.items():
        given = str(applicant.get(field) or "")
        if given and not _same(field, given, held):
            raise NotAccountHolder(field)
        result[field] = held
    return result



def link_to_account(*, user_id: int, id_number: str, now: datetime, by: str) -> list[Dossier]:
    """Join every dossier of a person (her citizen ID, any channel) that has no account yet to her account, now
    that its citizen ID is verified: one ``link_account`` event each (the audit trail says when and why it joined;
    the applicant is not messaged). ``by``: who vouched for the ID (the population database). Runs inside the
    caller's transaction; the dossiers' rows are locked."""
    assert transaction.get_connection().in_atomic_block, "link dossiers inside the operation's transaction"
    dossiers = list(Dossier.objects.select_for_update().filter(
        applicant_id_number=identity.normalize(id_number), applicant_kind=ApplicantKind.PERSON,
        applicant_user__isnull=True).exclude(status=Status.DRAFT).order_by("pk"))
    for dossier in dossiers:
        dossier.applicant_user_id = user_id
        record(dossier, EventKind.LINK_ACCOUNT, actor=by, at=now, data={"account": user_id},
               changes={"applicant_user_id": user_id}, columns={"applicant_user_id": user_id}, notify=False)
    return dossiers
