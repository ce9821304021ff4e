"""Assisted filing (nộp hộ, issue 15): a reception officer or a postal worker files online on a citizen's behalf,
with her consent.

1. :func:`open_consent`: her citizen ID, name and date of birth were verified against the population database
   (``integrations.population.services.identify_for_assisted`` calls this with the verified identity); her
   account is found by the verified citizen ID, or created for her (no password: she signs in later with the
   phone, see ``docs/assisted-filing.md``).
2. Her consent: :func:`send_code` (a 6-digit code by SMS to her phone, which she reads out; :func:`confirm_code`)
   or :func:`attach_authorization` (her signed authorization, a PDF or photo checked like every upload).
3. :func:`usable` is asked before every step the officer takes on her draft and again at submission; a consent
   withdrawn (:func:`withdraw`, from her account), expired, not yet granted, another officer's or another agency's
   is refused with its own error, and nothing the officer typed is lost (the draft is hers: she can finish it).

Every change and every use is appended to :class:`~motcua.accounts.models.AssistedConsentLog`.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from motcua.accounts import selectors
from motcua.accounts.models import (
    AssistedConsent,
    AssistedConsentLog,
    Citizen,
    CitizenKind,
    ConsentAction,
    ConsentMethod,
)
from motcua.agencies.models import Agency, Role
from motcua.core.errors import MotCuaError, ValidationFailed
from motcua.core.files import atomic_with_files, stored
from motcua.core.identity import is_phone
from motcua.core.uploads import check_upload
from motcua.dossiers.actors import Actor
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import Dossier
from motcua.notifications import services as notifications

User = get_user_model()

CODE_DIGITS = 6
CONSENT_HOURS = 24  # a consent is good for a day: the visit it was given for, not a standing power of attorney
FILERS = (Role.RECEPTION, Role.POSTAL)


# --- refusals ------------------------------------------------------------------------------------------------


class ConsentRequired(Forbidden):
    def __init__(self) -> None:
        super().__init__("consent_required", _(
            "The citizen has not given their consent yet: send them the code and type what they read out, or "
            "upload their signed authorization."), location="code")


class ConsentWithdrawn(Forbidden):
    def __init__(self) -> None:
        super().__init__("consent_withdrawn", _(
            "The citizen withdrew their consent: you can no longer file on their behalf. Nothing is lost: the "
            "draft stays in their account; they may finish it themselves or give a new consent."))


class ConsentExpired(Forbidden):
    def __init__(self) -> None:
        super().__init__("consent_expired", _(
            "The citizen's consent has expired. Ask for a new one; the draft is kept in their account."))


class ConsentNotYours(Forbidden):
    def __init__(self) -> None:
        super().__init__("consent_not_yours", _(
            "This consent was given to another staff member or agency: only they may file with it."))


class ConsentNotFound(MotCuaError):
    status = 404

    def __init__(self) -> None:
        super().__init__("consent_not_found", _("No such consent."))


# --- step 1: who she is --------------------------------------------------------------------------------------


def filing_agency(actor: Actor, agency_id: int | None) -> Agency:
    """The agency the officer files for: one where they hold the reception or postal role."""
    allowed = actor.agencies_with(*FILERS)
    if agency_id is None and len(allowed) == 1:
        agency_id = next(iter(allowed))
    if agency_id not in allowed:
        raise Forbidden("not_reception_staff", _("Only reception or postal staff file on a citizen's behalf."))
    return Agency.objects.get(pk=agency_id)


def _log(consent: AssistedConsent, action: str, now: datetime, user_id: int | None, dossier: Dossier | None = None,
         note: str = "") -> None:
    AssistedConsentLog.objects.create(consent=consent, action=action, at=now, user_id=user_id, dossier=dossier,
                                      note=note[:300])


def account_for(*, id_number: str, full_name: str, date_of_birth: date, phone: str, address: str,
                now: datetime) -> tuple[Citizen, bool]:
    """Her account, found by the verified citizen ID, or created from her verified identity (``True``).

    Called inside the caller's transaction, *after* the population database matched the citizen ID, name and date
    of birth. An unverified account holding the same citizen ID and the phone given is hers: it becomes verified.
    A phone held by someone else's account is refused (the code would go to the wrong person)."""
    assert transaction.get_connection().in_atomic_block
    phone = selectors.normalize_phone(phone)
    if phone and not is_phone(phone):
        raise ValidationFailed([MotCuaError("invalid_phone", _(
            "%(value)s is not a Vietnamese phone number (e.g. 0912 345 678)."), {"value": phone[:20]}, "phone")])
    citizen = Citizen.objects.select_for_update().filter(
        id_number=id_number, identity_verified_at__isnull=False).first()
    holder = Citizen.objects.select_for_update().filter(phone=phone).first() if phone else None
    if citizen is None and holder is not None and holder.id_number == id_number and holder.kind == CitizenKind.PERSON:
        holder.identity_verified_at, holder.date_of_birth = now, date_of_birth
        holder.save(update_fields=["identity_verified_at", "date_of_birth"])
        return holder, False
    if holder is not None and holder != citizen:
        raise ValidationFailed([MotCuaError("phone_taken", _(
            "This phone number belongs to another person's account: give the citizen's own phone."),
            location="phone")])
    if citizen is not None:
        if not citizen.phone and phone:
            citizen.phone = phone
            citizen.save(update_fields=["phone"])
        return citizen, False
    if not phone:
        raise ValidationFailed([MotCuaError("phone_required", _(
            "Give the citizen's phone number: their account needs it and their code is sent to it."),
            location="phone")])
    user = User.objects.create_user(f"c-{uuid.uuid4().hex}", first_name=full_name[:150])
    user.set_unusable_password()
    user.save(update_fields=["password"])
    citizen = Citizen.objects.create(user=user, kind=CitizenKind.PERSON, full_name=full_name, id_number=id_number,
                                     phone=phone, address=address[:500], date_of_birth=date_of_birth,
                                     identity_verified_at=now)
    return citizen, True


def open_consent(*, actor: Actor, agency: Agency, citizen: Citizen, now: datetime) -> AssistedConsent:
    """A consent asked of ``citizen`` by ``actor`` for ``agency`` (not granted yet); inside the caller's
    transaction."""
    assert actor.user_id is not None  # filing_agency() found the actor's reception or postal role
    consent = AssistedConsent.objects.create(citizen=citizen, staff_id=actor.user_id, agency=agency, created_at=now,
                                             phone=citizen.phone)
    _log(consent, ConsentAction.OPENED, now, actor.user_id)
    return consent


# --- step 2: her consent -------------------------------------------------------------------------------------


def _code_hash(consent: AssistedConsent, phone: str, code: str) -> str:
    """Keyed and bound to the consent and the phone (as ``accounts.services._code_hash``)."""
    return salted_hmac("motcua.accounts.assisted", f"{consent.pk}\n{phone}\n{code}", algorithm="sha256").hexdigest()


def _own(actor: Actor, consent_id: Any, *, lock: bool = False) -> AssistedConsent:
    """The consent ``consent_id`` if it was asked by this officer, for an agency where they still file."""
    try:
        pk = int(consent_id)
    except (TypeError, ValueError):
        raise ConsentNotFound() from None
    rows = AssistedConsent.objects.select_related("citizen", "citizen__user", "agency", "staff")
    consent = (rows.select_for_update(of=("self",)) if lock else rows).filter(pk=pk).first()
    if consent is None:
        raise ConsentNotFound()
    if consent.staff_id != actor.user_id or consent.agency_id not in actor.agencies_with(*FILERS):
        raise ConsentNotYours()
    return consent


def send_code(*, actor: Actor, consent_id: Any) -> AssistedConsent:
    """Send a new code to her phone (once a minute; it replaces the previous one). Her SMS says who asks, for
    which agency, and that giving the code lets them file on her behalf."""
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        consent = _own(actor, consent_id, lock=True)
        if consent.withdrawn:
            raise ConsentWithdrawn()
        if consent.granted:
            raise MotCuaError("consent_granted", _("The citizen's consent is already given."))
        now = timezone.now()
        phone = consent.citizen.phone
        if not phone:
            raise MotCuaError("no_phone", _("The citizen's account has no phone: upload their signed authorization."),
                              location="code")
        elapsed = (now - consent.code_sent_at).total_seconds() if consent.code_sent_at else None
        if elapsed is not None and elapsed < settings.ACCOUNTS_CODE_RESEND_SECONDS:
            wait = settings.ACCOUNTS_CODE_RESEND_SECONDS - int(elapsed)
            raise MotCuaError("resend_too_soon", _("Wait %(seconds)d seconds before asking for a new code."),
                              {"seconds": wait}, location="code")
        consent.phone, consent.method, consent.attempts = phone, ConsentMethod.CODE, 0
        consent.code_hash = _code_hash(consent, phone, code)
        consent.code_sent_at = now
        consent.code_expires_at = now + timedelta(seconds=settings.ACCOUNTS_CODE_TTL_SECONDS)
        consent.save(update_fields=["phone", "method", "attempts", "code_hash", "code_sent_at", "code_expires_at"])
        _log(consent, ConsentAction.CODE_SENT, now, actor.user_id, note=selectors.masked(phone))
        notifications.notify(
            template="assisted_code",
            context={"code": code, "officer": actor.name, "agency": consent.agency.name,
                     "minutes": settings.ACCOUNTS_CODE_TTL_SECONDS // 60},
            phone=phone, user=consent.citizen.user, language=consent.citizen.language,
        )
    return consent


def _grant(consent: AssistedConsent, method: str, now: datetime, user_id: int | None) -> None:
    consent.method, consent.granted_at = method, now
    consent.expires_at = now + timedelta(hours=CONSENT_HOURS)
    consent.save(update_fields=["method", "granted_at", "expires_at", "attempts", "code_hash", "authorization",
                                "authorization_name", "authorization_sha256"])
    _log(consent, ConsentAction.GRANTED, now, user_id, note=str(method))


def confirm_code(*, actor: Actor, consent_id: Any, code: str) -> AssistedConsent:
    """The code the citizen read out, typed by the officer: grants the consent (and proves her phone). A wrong
    code uses one of five tries; that count is kept even though the call refuses."""
    code = "".join((code or "").split())
    if len(code) != CODE_DIGITS or not code.isdigit():
        raise MotCuaError("invalid_code", _("Type the 6 digits of the code the citizen received."), location="code")
    refusal: MotCuaError | None = None
    with transaction.atomic():
        consent = _own(actor, consent_id, lock=True)
        now = timezone.now()
        if consent.withdrawn:
            raise ConsentWithdrawn()
        if consent.granted:
            return consent
        if not consent.code_hash or consent.code_expires_at is None:
            raise MotCuaError("no_code", _("No code was sent: send one first."), location="code")
        if consent.code_expires_at <= now or consent.phone != consent.citizen.phone:
            raise MotCuaError("code_expired", _("This code has expired: send a new one."), location="code")
        if consent.attempts >= settings.ACCOUNTS_CODE_MAX_ATTEMPTS:
            raise MotCuaError("too_many_attempts", _("Too many wrong codes: send a new one."), location="code")
        if not constant_time_compare(consent.code_hash, _code_hash(consent, consent.phone, code)):
            consent.attempts += 1
            consent.save(update_fields=["attempts"])
            _log(consent, ConsentAction.WRONG_CODE, now, actor.user_id)
            left = settings.ACCOUNTS_CODE_MAX_ATTEMPTS - consent.attempts
            refusal = (MotCuaError("wrong_code", _("This code is wrong; %(left)d tries left."), {"left": left},
                                   location="code") if left else
                       MotCuaError("too_many_attempts", _("Too many wrong codes: send a new one."), location="code"))
        else:
            consent.code_hash = ""  # used once
            _grant(consent, ConsentMethod.CODE, now, actor.user_id)
            citizen = consent.citizen
            if citizen.phone == consent.phone and not citizen.phone_verified_at:
                citizen.phone_verified_at = now  # she received the code on it
                citizen.save(update_fields=["phone_verified_at"])
    if refusal is not None:
        raise refusal
    return consent


def attach_authorization(*, actor: Actor, consent_id: Any, file: IO[bytes], name: str,
                         size: int | None = None) -> AssistedConsent:
    """Her signed authorization (a PDF or a photo, checked by content, size and type) grants the consent."""
    checked = check_upload(file, name or "authorization", size, location="authorization")
    with atomic_with_files():
        consent = _own(actor, consent_id, lock=True)
        if consent.withdrawn:
            raise ConsentWithdrawn()
        if consent.granted:
            raise MotCuaError("consent_granted", _("The citizen's consent is already given."))
        consent.authorization_sha256 = checked.sha256
        consent.authorization_name = (name or "authorization")[:255]
        file.seek(0)
        consent.authorization.save(consent.authorization_name, File(file), save=False)
        stored(consent.authorization.storage, consent.authorization.name)
        consent.code_hash = ""
        _grant(consent, ConsentMethod.AUTHORIZATION, timezone.now(), actor.user_id)
    return consent


# --- step 3: using it ----------------------------------------------------------------------------------------


def check(consent: AssistedConsent, actor: Actor, now: datetime | None = None) -> None:
    """Raise why ``actor`` may not file with ``consent`` now (nothing when they may)."""
    now = now or timezone.now()
    if consent.staff_id != actor.user_id or consent.agency_id not in actor.agencies_with(*FILERS):
        raise ConsentNotYours()
    if consent.withdrawn_at is not None:
        raise ConsentWithdrawn()
    if consent.granted_at is None:
        raise ConsentRequired()
    if consent.expires_at is None or consent.expires_at <= now:
        raise ConsentExpired()


def usable(*, actor: Actor, consent_id: Any, lock: bool = False) -> AssistedConsent:
    """The consent if ``actor`` may file with it now; else the refusal (logged when it was granted once)."""
    consent = _own(actor, consent_id, lock=lock)
    check(consent, actor)
    return consent


def refused(*, consent: AssistedConsent, actor: Actor, error: MotCuaError) -> None:
    """Log a refused use (the officer tried a step after a withdrawal or the expiry)."""
    with transaction.atomic():
        _log(consent, ConsentAction.REFUSED, timezone.now(), actor.user_id, note=error.code)


def record_use(*, consent: AssistedConsent, actor: Actor, dossier: Dossier, now: datetime | None = None) -> None:
    """A dossier was filed with the consent (inside the submission's transaction)."""
    _log(consent, ConsentAction.USED, now or timezone.now(), actor.user_id, dossier=dossier, note=dossier.code)


def event_note(consent: AssistedConsent) -> str:
    """What the dossier's submission event says (Vietnamese, as the log is): who filed, for whom, how she agreed."""
    how = "mã xác nhận gửi tới điện thoại" if consent.method == ConsentMethod.CODE else "giấy ủy quyền có chữ ký"
    staff = f"{consent.staff.last_name} {consent.staff.first_name}".strip() or consent.staff.get_username()
    return (f"Nộp hộ bởi {staff}, {consent.agency.name}, cho công dân {consent.citizen.full_name}; "
            f"công dân đồng ý bằng {how} (ủy quyền số {consent.pk}).")


def event_data(consent: AssistedConsent) -> dict[str, Any]:
    return {"consent": consent.pk, "method": consent.method, "staff": consent.staff_id, "agency": consent.agency_id}


# --- her side ------------------------------------------------------------------------------------------------


def withdraw(*, citizen: Citizen, consent_id: Any) -> AssistedConsent:
    """She withdraws a consent from her account: the officer's next step is refused."""
    with transaction.atomic():
        consent = AssistedConsent.objects.select_for_update().filter(pk=consent_id, citizen=citizen).first() \
            if str(consent_id).isdigit() else None
        if consent is None:
            raise ConsentNotFound()
        if consent.withdrawn_at is None:
            now = timezone.now()
            consent.withdrawn_at = now
            consent.save(update_fields=["withdrawn_at"])
            _log(consent, ConsentAction.WITHDRAWN, now, citizen.user_id)
    return consent
