"""Identity checks against the national population database, and what they change (issue 14, part 3).

- :func:`sign_up`: a person's account is created only when her citizen ID, full name and date of birth match the
  database (``identity_verified_at``; one verified citizen ID, one account); her earlier dossiers (counter, post
  office, any channel) join the account, and their documents her data warehouse.
- :func:`check_at_reception`: a counter or post-office officer checks the applicant's citizen ID (the form is
  prefilled from the database) and gets a signed proof the reception form sends back; :func:`receive` records the
  dossier with the flags it earned (``identity_verified``, ``population_data``) and the look-up's dossier.
- every question put to the database is logged (:class:`~motcua.integrations.models.PopulationLookup`: who, for
  which agency, why, which dossier, the citizen ID masked and keyed-hashed, the outcome), never the answer.

With ``MOTCUA_POPULATION_URL`` empty nothing is checked: sign-up works as before and the reception's button says
the database is not connected.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from motcua.accounts import assisted
from motcua.accounts import selectors as account_selectors
from motcua.accounts import services as accounts
from motcua.accounts.models import AssistedConsent, Citizen, CitizenKind
from motcua.agencies.models import Agency, AgencyKind, Role
from motcua.core.errors import MotCuaError, ValidationFailed
from motcua.core.identity import is_citizen_id
from motcua.core.identity import normalize as normalize_id
from motcua.documents.services import KEEP_ON, keep_from_dossier
from motcua.dossiers import services as dossier_services
from motcua.dossiers.actors import Actor
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import Dossier, Event
from motcua.integrations.models import LookupOutcome, LookupPurpose, PopulationLookup
from motcua.integrations.population import client
from motcua.integrations.population.client import Match, PersonRecord, PopulationUnavailable, UnknownCitizen

HASH_SALT = "motcua.integrations.population.lookup"
PROOF_SALT = "motcua.integrations.population.reception"
PROOF_SECONDS = 2 * 3600  # a check at the counter is good for the reception that follows it
VOUCHER = "Cơ sở dữ liệu quốc gia về dân cư"  # who vouched for a linked account's ID, in the event log


class IdentityMismatch(MotCuaError):
    """The citizen ID exists but the name or the date of birth given is not the one the database holds (which of
    the two is not said: that would help someone guessing another person's data)."""

    def __init__(self) -> None:
        super().__init__("identity_mismatch", _(
            "The full name and date of birth do not match what the national population database holds for this "
            "citizen ID. Type them exactly as on your citizen ID card."), location="full_name")


class CitizenIdentityMismatch(IdentityMismatch):
    """:class:`IdentityMismatch` told to the officer filing on a citizen's behalf (not to the citizen)."""

    def __init__(self) -> None:
        MotCuaError.__init__(self, "identity_mismatch", _(
            "The full name and date of birth do not match what the national population database holds for this "
            "citizen ID. Type them exactly as on the citizen's ID card."), location="full_name")


class UnknownCitizenId(UnknownCitizen):
    """:class:`UnknownCitizen` told to the officer filing on a citizen's behalf."""

    def __init__(self) -> None:
        MotCuaError.__init__(self, "unknown_citizen_id", _(
            "The national population database has no citizen with this ID number. Check the 12 digits on the "
            "citizen's ID card."), location="id_number")


class TooManyLookups(MotCuaError):
    status = 429

    def __init__(self, minutes: int) -> None:
        super().__init__("too_many_identity_checks", _(
            "Too many identity checks from this connection. Try again in %(minutes)d minutes."),
            {"minutes": minutes}, location="id_number")


class NotConnected(MotCuaError):
    status = 409

    def __init__(self) -> None:
        super().__init__("population_not_connected", _(
            "This installation is not connected to the national population database."), location="id_number")


def id_hash(id_number: str) -> str:
    """The citizen ID as the log keeps it: a keyed hash (finds every look-up of one person; useless without the
    secret key)."""
    return salted_hmac(HASH_SALT, normalize_id(id_number), algorithm="sha256").hexdigest()


def masked(id_number: str) -> str:
    number = normalize_id(id_number)
    return number[:3] + "*" * max(0, len(number) - 5) + number[-2:] if len(number) > 5 else "***"


def fold(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name or "").split()).casefold()


def _log(id_number: str, purpose: str, outcome: str, *, user_id: int | None, agency_id: int | None
         ) -> PopulationLookup:
    return PopulationLookup.objects.create(user_id=user_id, agency_id=agency_id, purpose=purpose,
                                           id_hash=id_hash(id_number), id_masked=masked(id_number), outcome=outcome)


def verify(*, id_number: str, full_name: str, date_of_birth: date, purpose: str, user_id: int | None = None,
           agency_id: int | None = None) -> tuple[Match, PopulationLookup]:
    """Ask the database whether the name and date of birth are those of the citizen ID; logged whatever the
    answer. Raises :class:`UnknownCitizen` or :class:`PopulationUnavailable` (logged too)."""
    if not client.enabled():
        raise NotConnected()
    try:
        match = client.verify(id_number, full_name, date_of_birth)
    except UnknownCitizen:
        _log(id_number, purpose, LookupOutcome.UNKNOWN, user_id=user_id, agency_id=agency_id)
        raise
    except PopulationUnavailable:
        _log(id_number, purpose, LookupOutcome.UNAVAILABLE, user_id=user_id, agency_id=agency_id)
        raise
    return match, _log(id_number, purpose, str(match), user_id=user_id, agency_id=agency_id)


def lookup(*, id_number: str, purpose: str, user_id: int | None = None, agency_id: int | None = None
           ) -> tuple[PersonRecord, PopulationLookup]:
    """The person the database holds for a citizen ID; logged (the person's data is not)."""
    if not client.enabled():
        raise NotConnected()
    try:
        person = client.lookup(id_number)
    except UnknownCitizen:
        _log(id_number, purpose, LookupOutcome.UNKNOWN, user_id=user_id, agency_id=agency_id)
        raise
    except PopulationUnavailable:
        _log(id_number, purpose, LookupOutcome.UNAVAILABLE, user_id=user_id, agency_id=agency_id)
        raise
    return person, _log(id_number, purpose, LookupOutcome.FOUND, user_id=user_id, agency_id=agency_id)


# --- sign-up -------------------------------------------------------------------------------------------------


def parse_birth_date(value: str, *, required: bool, location: str = "date_of_birth"
                     ) -> tuple[date | None, list[MotCuaError]]:
    value = (value or "").strip()
    if not value:
        if required:
            return None, [MotCuaError("birth_date_required", _("Enter your date of birth, as on your citizen ID "
                                                                "card."), location=location)]
        return None, []
    try:
        born = date.fromisoformat(value) if "-" in value else datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        return None, [MotCuaError("invalid_birth_date", _("Enter the date of birth as dd/mm/yyyy."),
                                  location=location)]
    if not date(1900, 1, 1) <= born <= timezone.localdate():
        return None, [MotCuaError("invalid_birth_date", _("This date of birth is not possible."), location=location)]
    return born, []


def sign_up(*, kind: str, full_name: str, id_number: str, phone: str = "", email: str = "", password: str,
            password2: str, language: str = "vi", date_of_birth: str = "",
            before_lookup: Callable[[], None] | None = None) -> Citizen:
    """A citizen's or business's account; a person's is verified against the population database first (when it
    is connected): a mismatch, an unknown citizen ID or a database that does not answer refuses the sign-up and
    saves nothing but the look-up's log line. A verified account gets the person's earlier dossiers.
    ``before_lookup``: called just before the database is asked (the page counts the look-ups of an address and
    raises when there are too many: guessing other people's data costs a look-up each)."""
    fields: dict[str, Any] = {"kind": kind, "full_name": full_name, "id_number": id_number, "phone": phone,
                              "email": email, "password": password, "password2": password2, "language": language}
    errors = accounts.check_sign_up(**fields)
    person = kind == CitizenKind.PERSON
    checking = person and client.enabled()
    born, problems = parse_birth_date(date_of_birth, required=checking)
    errors += problems if person else []
    if errors:
        raise ValidationFailed(errors)
    if not checking:
        return accounts.sign_up(**fields, date_of_birth=born if person else None)
    assert born is not None
    number, name = normalize_id(id_number), " ".join(full_name.split())
    if before_lookup is not None:
        before_lookup()
    match, logged = verify(id_number=number, full_name=name, date_of_birth=born, purpose=LookupPurpose.SIGN_UP)
    if match != Match.MATCHED:
        raise IdentityMismatch()
    # verified: the account keeps the database's spelling of the name (not "trần văn  minh" as typed) and its
    # permanent address; asked only now, after the match (logged too), and not needed: without it, what was typed
    record, found = _person_after_match(number)
    if record is not None:
        fields["full_name"] = record.full_name
    now = timezone.now()
    with transaction.atomic():
        citizen = accounts.sign_up(**fields, date_of_birth=born, identity_verified_at=now)
        if record is not None and record.permanent_address and not citizen.address:
            Citizen.objects.filter(pk=citizen.pk).update(address=record.permanent_address[:500])
            citizen.address = record.permanent_address[:500]
        PopulationLookup.objects.filter(pk__in=[logged.pk, *([found.pk] if found else [])]).update(user=citizen.user)
        linked = dossier_services.link_to_account(user_id=citizen.user_id, id_number=number, now=now, by=VOUCHER)
        if linked:
            transaction.on_commit(lambda: fill_warehouse(linked))
    return citizen


def _person_after_match(number: str) -> tuple[PersonRecord | None, PopulationLookup | None]:
    """The database's record of a citizen ID whose name and date of birth were just verified (the spelling and
    the address the account keeps); ``None`` when the database does not answer now (the sign-up goes on)."""
    try:
        return lookup(id_number=number, purpose=LookupPurpose.SIGN_UP)
    except (UnknownCitizen, PopulationUnavailable):
        return None, None


def fill_warehouse(dossiers: list[Dossier]) -> None:
    """The documents of dossiers that just joined an account go to its data warehouse, as if they had been its
    own all along (``documents.services.keep_from_dossier`` for each event that keeps something)."""
    events = Event.objects.filter(dossier__in=dossiers, action__in=KEEP_ON).order_by("dossier_id", "seq")
    by_id = {d.pk: d for d in Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).select_related("version")}
    for event in events:
        keep_from_dossier(by_id[event.dossier_id], event)


def verified_account(id_number: str) -> int | None:
    """The account a dossier of this citizen ID joins (``dossiers.services.register_account_finder``)."""
    return account_selectors.verified_account(normalize_id(id_number))


# --- reception at a counter or a post office ---------------------------------------------------------------


@dataclass(frozen=True)
class ReceptionCheck:
    """What the officer's check found: the person (to prefill the form), whether what the officer had typed
    matched, and the signed proof the reception form sends back with the dossier."""

    person: PersonRecord
    typed_matches: bool | None  # None: the officer typed no name or date of birth to compare
    proof: str
    compared: tuple[str, ...] = ()  # what the officer had typed and the database was compared with: name, birth date


def purpose_at(agency: Agency) -> str:
    return LookupPurpose.POST_OFFICE if agency.kind == AgencyKind.POST_OFFICE else LookupPurpose.COUNTER


def check_at_reception(*, actor: Actor, agency: Agency, id_number: str, full_name: str = "",
                       date_of_birth: date | None = None) -> ReceptionCheck:
    """The officer's "check with the population database" at ``agency``: only its reception or postal staff may
    ask, for a citizen ID (a person); the answer prefills the form."""
    if not actor.roles_at(agency.pk) & {Role.RECEPTION, Role.POSTAL}:
        raise Forbidden("not_reception_staff", _("Only reception or postal staff of %(agency)s receive dossiers here."),
                        {"agency": agency.name})
    number = normalize_id(id_number)
    if not is_citizen_id(number):
        raise MotCuaError("invalid_citizen_id", _(
            "%(value)s is not a valid citizen ID: 12 digits starting with a province code (e.g. 022…)."),
            {"value": id_number[:20]}, "applicant.id_number")
    person, logged = lookup(id_number=number, purpose=purpose_at(agency), user_id=actor.user_id, agency_id=agency.pk)
    compared = (("name",) if full_name.strip() else ()) + (("date_of_birth",) if date_of_birth is not None else ())
    typed: bool | None = None
    if compared:
        typed = ((not full_name.strip() or fold(full_name) == fold(person.full_name))
                 and (date_of_birth is None or date_of_birth == person.date_of_birth))
    proof = signing.dumps({"id": number, "name": fold(person.full_name), "lookup": logged.pk, "agency": agency.pk,
                           "user": actor.user_id}, salt=PROOF_SALT, compress=True)
    return ReceptionCheck(person, typed, proof, compared)


def _proven(proof: str, data: dict[str, Any], actor: Actor) -> tuple[dossier_services.IdentityCheck, int | None]:
    """What a reception's proof earns the dossier: population data used (the ID checked is the applicant's), and
    a verified identity (the name is still the database's). A proof that is stale, forged, another officer's or
    another person's earns nothing (the dossier is recorded all the same)."""
    if not proof:
        return dossier_services.IdentityCheck(), None
    try:
        claims = signing.loads(proof, salt=PROOF_SALT, max_age=PROOF_SECONDS)
    except signing.BadSignature:
        return dossier_services.IdentityCheck(), None
    applicant = data.get("applicant") if isinstance(data.get("applicant"), dict) else {}
    assert isinstance(applicant, dict)
    same_id = (isinstance(claims, dict) and claims.get("user") == actor.user_id
               and claims.get("id") == normalize_id(str(applicant.get("id_number") or ""))
               and applicant.get("kind", "person") == "person")
    if not same_id:
        return dossier_services.IdentityCheck(), None
    return (dossier_services.IdentityCheck(identity_verified=claims.get("name") == fold(str(applicant.get("name"))),
                                           population_data=True), int(claims["lookup"]))


def receive(*, actor: Actor, data: dict[str, Any], scans: dict[int, UploadedFile],
            digitized: dict[int, dict[str, Any]] | None = None, pin: str = "", proof: str = "",
            now: datetime | None = None) -> Dossier:
    """``dossiers.services.receive_at_counter`` with what the population check earned (``proof``: the signed
    answer of :func:`check_at_reception`); the look-up's log line gets the dossier."""
    checked, lookup_id = _proven(proof, data, actor)
    with transaction.atomic():
        dossier = dossier_services.receive_at_counter(actor=actor, data=data, scans=scans, digitized=digitized,
                                                      pin=pin, now=now, identity_check=checked)
        if lookup_id is not None:
            PopulationLookup.objects.filter(pk=lookup_id, dossier__isnull=True).update(dossier=dossier)
    return dossier


# --- assisted filing (issue 15) ------------------------------------------------------------------------------


def identify_for_assisted(*, actor: Actor, agency_id: int | None, id_number: str, full_name: str,
                          date_of_birth: str, phone: str) -> AssistedConsent:
    """Step 1 of assisted filing: the citizen's ID, name and date of birth are checked against the population
    database (logged as a look-up of the officer's agency); on a match her account is found by the verified
    citizen ID or created from the database's data (her earlier dossiers join it), and a consent is asked of her
    (``accounts.assisted``). A mismatch or an unknown ID refuses and creates nothing."""
    agency = assisted.filing_agency(actor, agency_id)
    number, name = normalize_id(id_number), " ".join((full_name or "").split())
    errors: list[MotCuaError] = []
    if not is_citizen_id(number):
        errors.append(MotCuaError("invalid_citizen_id", _(
            "%(value)s is not a valid citizen ID: 12 digits starting with a province code (e.g. 022…)."),
            {"value": id_number[:20]}, "id_number"))
    if not name:
        errors.append(MotCuaError("name_required", _("Enter the citizen's full name, as on their ID card."),
                                  location="full_name"))
    born, problems = parse_birth_date(date_of_birth, required=True)
    errors += problems
    if errors:
        raise ValidationFailed(errors)
    assert born is not None
    purpose = purpose_at(agency)
    try:  # the officer is told in the officer's words (the citizen's own sign-up says "your ID card")
        match, logged = verify(id_number=number, full_name=name, date_of_birth=born, purpose=purpose,
                               user_id=actor.user_id, agency_id=agency.pk)
    except UnknownCitizen:
        raise UnknownCitizenId() from None
    if match != Match.MATCHED:
        raise CitizenIdentityMismatch()
    try:
        record, _found = lookup(id_number=number, purpose=purpose, user_id=actor.user_id, agency_id=agency.pk)
    except (UnknownCitizen, PopulationUnavailable):
        record = None
    now = timezone.now()
    with transaction.atomic():
        citizen, created = assisted.account_for(
            id_number=number, full_name=record.full_name if record else name, date_of_birth=born, phone=phone,
            address=record.permanent_address if record else "", now=now)
        if created:
            PopulationLookup.objects.filter(pk=logged.pk).update(user=citizen.user)
            linked = dossier_services.link_to_account(user_id=citizen.user_id, id_number=number, now=now, by=VOUCHER)
            if linked:
                transaction.on_commit(lambda: fill_warehouse(linked))
        return assisted.open_consent(actor=actor, agency=agency, citizen=citizen, now=now)
