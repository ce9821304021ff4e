"""Changes to citizen accounts: sign-up, contact verification, sign-in with throttling, the account page, and
accounts vouched for by the national identity provider (OpenID Connect).

Every function takes keyword arguments and writes in one transaction; refusals are :class:`MotCuaError` whose
``location`` is the form field at fault, so pages can show each message next to its input. Messages are sent
*after* the transaction commits its rows (a code is only sent once it is stored).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from axes.helpers import get_credentials
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from motcua.accounts import selectors
from motcua.accounts.decorators import citizen_of
from motcua.accounts.lockout import is_locked, too_many_attempts
from motcua.accounts.models import Citizen, CitizenKind, ContactChannel, VerificationCode, ZaloLinkCode
from motcua.core import throttles
from motcua.core.errors import MotCuaError, ValidationFailed
from motcua.core.identity import is_citizen_id, is_phone, is_tax_code
from motcua.core.identity import normalize as normalize_id
from motcua.notifications import services as notifications

User = get_user_model()
logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CONTACT_TAKEN = {
    "phone": _("This phone number cannot be used for a new account. If it is yours, sign in instead."),
    "email": _("This email address cannot be used for a new account. If it is yours, sign in instead."),
}
CONTACT_TAKEN_EDIT = {
    "phone": _("This phone number is used by another account."),
    "email": _("This email address is used by another account."),
}


# --- checks shared by sign-up and the account page ---------------------------------------------------------


def _check_contacts(phone: str, email: str, errors: list[MotCuaError]) -> tuple[str, str]:
    """Normalized phone and email; at least one, each well-formed."""
    phone = selectors.normalize_phone(phone)
    email = selectors.normalize_email(email)
    if not phone and not email:
        errors.append(MotCuaError("contact_required", _("Give a phone number or an email address (at least one)."),
                                  location="phone"))
    if phone and not is_phone(phone):
        errors.append(MotCuaError("invalid_phone", _(
            "The phone number must have 10 digits starting with 0 (or +84), e.g. 0912 345 678."), location="phone"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(MotCuaError("invalid_email", _("Enter a valid email address, e.g. an@example.com."),
                                      location="email"))
    return phone, email


def _password_errors(password: str, password2: str, user: Any, field: str = "password") -> list[MotCuaError]:
    errors: list[MotCuaError] = []
    if not password:
        return [MotCuaError("password_required", _("Choose a password."), location=field)]
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        errors += [MotCuaError("weak_password", message, location=field) for message in exc.messages]
    if password != password2:
        errors.append(MotCuaError("password_mismatch", _("The two passwords do not match."),
                                  location=f"{field}2"))
    return errors


def _language(value: str) -> str:
    return value if value in selectors.LANGUAGES else "vi"


# --- sign-up ------------------------------------------------------------------------------------------------


ID_TAKEN = _("An account already holds this citizen ID, verified with the national population database. If it is "
             "yours, sign in instead (or reset your password); if it is not, contact the service center.")


def check_sign_up(*, kind: str, full_name: str, id_number: str, phone: str = "", email: str = "", password: str,
                  password2: str, language: str = "vi") -> list[MotCuaError]:
    """Everything wrong with a sign-up form (empty: nothing), without writing anything: checked before anyone asks
    the population database about the citizen ID."""
    errors: list[MotCuaError] = []
    full_name = " ".join((full_name or "").split())
    if kind not in CitizenKind.values:
        errors.append(MotCuaError("invalid_kind", _("Choose whether the account is for a person or an organization."),
                                  location="kind"))
    organization = kind == CitizenKind.ORGANIZATION
    if not full_name:
        errors.append(MotCuaError("name_required", _("Enter the organization's name.") if organization
                                  else _("Enter your full name."), location="full_name"))
    id_number = normalize_id(id_number)
    if organization and not is_tax_code(id_number):
        errors.append(MotCuaError("invalid_tax_code", _(
            "The tax code must have 10 digits (or 13, as 0123456789-001) with a valid check digit."),
            location="id_number"))
    elif not organization and not is_citizen_id(id_number):
        errors.append(MotCuaError("invalid_citizen_id", _(
            "The citizen ID must have 12 digits starting with a province code, e.g. 022090001234."),
            location="id_number"))
    elif not organization and selectors.verified_id_taken(id_number):
        errors.append(MotCuaError("citizen_id_taken", ID_TAKEN, location="id_number"))
    phone, email = _check_contacts(phone, email, errors)
    errors += _password_errors(password, password2, User(username="c-new", first_name=full_name[:150],
                                                          email=email))
    for field, taken in selectors.contact_taken(phone=phone, email=email).items():
        if taken:
            errors.append(MotCuaError(f"{field}_taken", CONTACT_TAKEN[field], location=field))
    return errors


def sign_up(*, kind: str, full_name: str, id_number: str, phone: str = "", email: str = "", password: str,
            password2: str, language: str = "vi", date_of_birth: date | None = None,
            identity_verified_at: datetime | None = None) -> Citizen:
    """Create a citizen (person: citizen ID) or organization (tax code) account with a phone or an email.

    All errors are reported at once. The Django user gets a generated name (``c-<uuid>``): people sign in with
    their phone or email, which they may change later, and a user name would be one more thing to forget.
    ``identity_verified_at``: when the citizen ID, name and date of birth were checked against the national
    population database (``integrations.population``, which calls this inside its transaction); a verified citizen
    ID belongs to one account only.
    """
    errors = check_sign_up(kind=kind, full_name=full_name, id_number=id_number, phone=phone, email=email,
                           password=password, password2=password2)
    if errors:
        raise ValidationFailed(errors)
    full_name = " ".join((full_name or "").split())
    id_number = normalize_id(id_number)
    phone, email = selectors.normalize_phone(phone), selectors.normalize_email(email)
    username = f"c-{uuid.uuid4().hex}"
    try:
        with transaction.atomic():
            user = User.objects.create_user(username, password=password, first_name=full_name[:150])
            return Citizen.objects.create(user=user, kind=kind, full_name=full_name, id_number=id_number,
                                          phone=phone, email=email, language=_language(language),
                                          date_of_birth=date_of_birth, identity_verified_at=identity_verified_at)
    except IntegrityError:
        # someone took the phone, the email or the verified citizen ID between the check and the insert
        held = selectors.contact_taken(phone=phone, email=email)
        raise ValidationFailed([MotCuaError(f"{field}_taken", CONTACT_TAKEN[field], location=field)
                                for field in ("phone", "email") if held[field]] or (
            [MotCuaError("citizen_id_taken", ID_TAKEN, location="id_number")]
            if identity_verified_at and selectors.verified_id_taken(id_number) else
            [MotCuaError("conflict", _("The account could not be created; try again."))])) from None


# --- verification codes ----------------------------------------------------------------------------------


def _code_hash(destination: str, code: str) -> str:
    """A keyed hash bound to the contact: without SECRET_KEY the stored value cannot be checked against the
    million possible codes, and a code sent to one contact cannot verify another."""
    return salted_hmac("motcua.accounts.verification", f"{destination}\n{code}", algorithm="sha256").hexdigest()


def send_code(*, citizen: Citizen, channel: str = "") -> VerificationCode:
    """Send a new 6-digit code to one of the citizen's unverified contacts (``channel``, or the first one).

    A new code replaces the previous one. Codes can be sent once a minute (each costs an SMS and could be used
    to flood someone's phone); each expires after ten minutes and allows five wrong tries.
    """
    pending = selectors.unverified_channels(citizen)
    if not pending:
        raise MotCuaError("nothing_to_verify", _("Your contacts are already verified."))
    if channel and channel not in pending:
        raise MotCuaError("invalid_channel", _("Choose a contact of yours that is not verified yet."),
                          location="channel")
    channel = channel or pending[0]
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        Citizen.objects.select_for_update().filter(pk=citizen.pk).first()  # one sender at a time per citizen
        wait = selectors.resend_wait(citizen)
        if wait:
            raise MotCuaError("resend_too_soon", _("Wait %(seconds)d seconds before asking for a new code."),
                              {"seconds": wait}, location="code")
        now = timezone.now()
        citizen.verification_codes.filter(used_at__isnull=True).update(expires_at=now)
        target = selectors.destination(citizen, channel)
        record = VerificationCode.objects.create(
            citizen=citizen, channel=channel, destination=target, code_hash=_code_hash(target, code),
            created_at=now, expires_at=now + timedelta(seconds=settings.ACCOUNTS_CODE_TTL_SECONDS))
    notifications.notify(
        template="verify_code",
        context={"code": code, "name": citizen.full_name, "minutes": settings.ACCOUNTS_CODE_TTL_SECONDS // 60},
        email=target if channel == ContactChannel.EMAIL else "",
        phone=target if channel == ContactChannel.PHONE else "",
        user=citizen.user, language=citizen.language,
    )
    return record


def verify_code(*, citizen: Citizen, code: str) -> str:
    """Check the code the citizen typed; on success mark its contact verified and return the channel.

    A wrong code uses one of the five tries; that count is committed even though the call then refuses.
    """
    code = "".join((code or "").split())
    if len(code) != CODE_DIGITS or not code.isdigit():
        raise MotCuaError("invalid_code", _("Type the 6 digits of the code you received."), location="code")
    refusal: MotCuaError | None = None
    with transaction.atomic():
        record = (VerificationCode.objects.select_for_update().filter(citizen=citizen, used_at__isnull=True)
                  .order_by("-created_at", "-pk").first())
        now = timezone.now()
        max_attempts = settings.ACCOUNTS_CODE_MAX_ATTEMPTS
        if record is None:
            raise MotCuaError("no_code", _("No code is waiting for you: ask for a new one."), location="code")
        if record.expires_at <= now or record.destination != selectors.destination(citizen, record.channel):
            raise MotCuaError("code_expired", _("This code has expired: ask for a new one."), location="code")
        if record.attempts >= max_attempts:
            raise MotCuaError("too_many_attempts", _("Too many wrong codes: ask for a new one."), location="code")
        if not constant_time_compare(record.code_hash, _code_hash(record.destination, code)):
            record.attempts += 1
            record.save(update_fields=["attempts"])
            left = max_attempts - record.attempts
            refusal = (MotCuaError("wrong_code", _("This code is wrong; %(left)d tries left."), {"left": left},
                                   location="code") if left else
                       MotCuaError("too_many_attempts", _("Too many wrong codes: ask for a new one."),
                                   location="code"))
        else:
            record.used_at = now
            record.save(update_fields=["used_at"])
            field = "email_verified_at" if record.channel == ContactChannel.EMAIL else "phone_verified_at"
            setattr(citizen, field, now)
            citizen.save(update_fields=[field])
    if refusal is not None:
        raise refusal
    return record.channel


# --- sign-in ---------------------------------------------------------------------------------------------


def _is_staff(user: Any) -> bool:
    return bool(user.is_staff or user.is_superuser or user.memberships.exists())


def authenticate_citizen(*, request: HttpRequest, identifier: str, password: str) -> Any:
    """The citizen's user for this phone or email and password, or a refusal.

    Failures are counted by the sign-in lockout (:mod:`motcua.accounts.lockout`, shared with the staff and admin
    sign-ins) per account — a citizen's phone and email name the same one — and per client address; while a lock
    holds every try is refused, even with the right password. Staff accounts are refused here (they sign in to
    the workspace), but only once their password proved who they are, so the message tells nothing to a stranger.
    """
    errors = []
    if not identifier.strip():
        errors.append(MotCuaError("identifier_required", _("Enter your phone number or email address."),
                                  location="identifier"))
    if not password:
        errors.append(MotCuaError("password_required", _("Enter your password."), location="password"))
    if errors:
        raise ValidationFailed(errors)
    citizen = selectors.citizen_by_identifier(identifier)
    username = citizen.user.get_username() if citizen is not None else identifier.strip()
    if is_locked(request, username):
        raise too_many_attempts()
    user = authenticate(request, username=username, password=password)
    if user is not None and citizen is None and citizen_of(user) is None:
        raise MotCuaError("staff_account", _(
            "This is a staff account: sign in at the staff workspace, /workspace/login/."), location="identifier")
    if user is not None and citizen is not None and not _is_staff(user):
        return user
    if user is not None:  # a staff user behind a citizen's contact: refused like a wrong password, and counted
        user_login_failed.send(sender=__name__, credentials=get_credentials(username), request=request)
    raise MotCuaError("wrong_credentials", _("The phone number, email or password is wrong."), location="password")


# --- sign-in with a code to the phone (an account made for her at a counter or a post office has no password) ----


def send_sign_in_code(*, phone: str) -> None:
    """Send a sign-in code to ``phone`` if it is the verified phone of a citizen's account (an account a postal
    worker made for her when filing on her behalf has no password; she signs in this way, then may set one).

    Says nothing of whether such an account exists (the page answers the same); one code a minute per account,
    ten minutes, five tries (as :func:`send_code`). Staff accounts never sign in here."""
    number = selectors.normalize_phone(phone)
    if not is_phone(number):
        raise MotCuaError("invalid_phone", _("%(value)s is not a Vietnamese phone number (e.g. 0912 345 678)."),
                          {"value": (phone or "")[:20]}, "phone")
    citizen = Citizen.objects.select_related("user").filter(phone=number, phone_verified_at__isnull=False).first()
    if citizen is None or _is_staff(citizen.user) or not citizen.user.is_active:
        return
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        Citizen.objects.select_for_update().filter(pk=citizen.pk).first()  # one sender at a time per citizen
        if selectors.resend_wait(citizen):
            return  # a code was sent a moment ago: that one is still good
        now = timezone.now()
        citizen.verification_codes.filter(used_at__isnull=True).update(expires_at=now)
        VerificationCode.objects.create(
            citizen=citizen, channel=ContactChannel.PHONE, destination=number, code_hash=_code_hash(number, code),
            created_at=now, expires_at=now + timedelta(seconds=settings.ACCOUNTS_CODE_TTL_SECONDS))
    notifications.notify(template="sign_in_code",
                         context={"code": code, "minutes": settings.ACCOUNTS_CODE_TTL_SECONDS // 60},
                         phone=number, user=citizen.user, language=citizen.language)


def sign_in_with_code(*, phone: str, code: str) -> Any:
    """The user of the citizen whose verified phone is ``phone``, when ``code`` is the code just sent to it
    (:func:`send_sign_in_code`); a wrong code uses one of five tries. An unknown phone is refused like a wrong
    code (nothing tells whether the account exists)."""
    number = selectors.normalize_phone(phone)
    citizen = (Citizen.objects.select_related("user").filter(phone=number, phone_verified_at__isnull=False).first()
               if number else None)
    if citizen is None or _is_staff(citizen.user) or not citizen.user.is_active:
        raise MotCuaError("wrong_code", _("This code is wrong or has expired: ask for a new one."), location="code")
    verify_code(citizen=citizen, code=code)
    return citizen.user


# --- my account ------------------------------------------------------------------------------------------


def update_contacts(*, citizen: Citizen, phone: str, email: str, address: str) -> list[str]:
    """Change the phone, email and address; a changed contact loses its verified mark and must be proven again.

    Returns the channels that now need a code.
    """
    errors: list[MotCuaError] = []
    phone, email = _check_contacts(phone, email, errors)
    for field, taken in selectors.contact_taken(phone=phone, email=email, exclude=citizen).items():
        if taken:
            errors.append(MotCuaError(f"{field}_taken", CONTACT_TAKEN_EDIT[field], location=field))
    if errors:
        raise ValidationFailed(errors)
    changed = []
    with transaction.atomic():
        if phone != citizen.phone:
            citizen.phone, citizen.phone_verified_at = phone, None
            if phone:
                changed.append(ContactChannel.PHONE.value)
        if email != citizen.email:
            citizen.email, citizen.email_verified_at = email, None
            if email:
                changed.append(ContactChannel.EMAIL.value)
        citizen.address = " ".join((address or "").split())[:500]
        try:
            with transaction.atomic():
                citizen.save(update_fields=["phone", "phone_verified_at", "email", "email_verified_at", "address"])
        except IntegrityError:
            citizen.refresh_from_db()  # nothing was saved: show what is stored, not the refused change
            raise MotCuaError("contact_taken", _("This phone number or email address is used by another account."),
                              location="phone" if "phone" in changed else "email") from None
    return changed


def change_password(*, user: Any, old_password: str, new_password: str, new_password2: str) -> None:
    """Change the password, checking the current one (accounts made by the identity provider have none yet)."""
    errors = []
    if user.has_usable_password() and not user.check_password(old_password or ""):
        errors.append(MotCuaError("wrong_password", _("The current password is wrong."), location="old_password"))
    errors += _password_errors(new_password, new_password2, user, field="new_password")
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])


def set_language(*, citizen: Citizen, language: str) -> None:
    """The language of the citizen's messages (email, SMS) and of the portal after they sign in."""
    if language not in selectors.LANGUAGES:
        raise MotCuaError("invalid_language", _("Choose Vietnamese, English or Spanish."), location="language")
    with transaction.atomic():
        citizen.language = language
        citizen.save(update_fields=["language"])


# --- the national identity provider (OpenID Connect) ----------------------------------------------------


def _claims_profile(claims: dict[str, Any]) -> dict[str, str]:
    name = " ".join(str(claims.get("name") or "").split()) or " ".join(
        str(claims.get(part) or "") for part in ("family_name", "middle_name", "given_name")).strip()
    id_number = normalize_id(str(claims.get(settings.OIDC_ID_NUMBER_CLAIM) or ""))
    phone = selectors.normalize_phone(str(claims.get("phone_number") or ""))
    email = selectors.normalize_email(str(claims.get("email") or ""))
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    return {"full_name": " ".join(name.split())[:300], "id_number": id_number if is_citizen_id(id_number) else "",
            "phone": phone if is_phone(phone) else "", "email": email}


def sign_in_with_identity_provider(*, subject: str, claims: dict[str, Any]) -> Any:
    """The user of the citizen whose identity-provider subject is ``subject``, created on first sign-in.

    Accounts are linked by the provider's ``sub`` only, never by email or phone: an email claim matching an
    existing account would let whoever controls that address at the provider take the account over. Contacts from
    the claims are kept only when no other account holds them. Returns ``None`` for a staff user (they never
    sign in through the citizen portal).
    """
    profile = _claims_profile(claims)
    now = timezone.now()
    with transaction.atomic():
        citizen = Citizen.objects.select_for_update().select_related("user").filter(oidc_subject=subject).first()
        if citizen is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(f"c-{uuid.uuid4().hex}", first_name=profile["full_name"][:150])
                    user.set_unusable_password()
                    user.save(update_fields=["password"])
                    citizen = Citizen.objects.create(user=user, kind=CitizenKind.PERSON, oidc_subject=subject,
                                                     full_name=profile["full_name"] or subject,
                                                     id_number=profile["id_number"])
            except IntegrityError:  # the same person signing in twice at once: the other request created it
                citizen = Citizen.objects.select_related("user").get(oidc_subject=subject)
        if _is_staff(citizen.user) or not citizen.user.is_active:
            return None
        fields = []
        for field in ("full_name", "id_number"):  # the provider is the authority on who the person is
            if profile[field] and getattr(citizen, field) != profile[field]:
                setattr(citizen, field, profile[field])
                fields.append(field)
        taken = selectors.contact_taken(phone=profile["phone"], email=profile["email"], exclude=citizen)
        for field, verified_claim in (("phone", "phone_number_verified"), ("email", "email_verified")):
            if profile[field] and not getattr(citizen, field) and not taken[field]:
                setattr(citizen, field, profile[field])
                fields.append(field)
                if claims.get(verified_claim) is True:
                    setattr(citizen, f"{field}_verified_at", now)
                    fields.append(f"{field}_verified_at")
        if fields:
            citizen.save(update_fields=fields)
        return citizen.user


# --- Zalo: linking the account to the citizen's Zalo (docs/zalo.md) ----------------------------------------

ZALO_CODE_PREFIX = "MC"
ZALO_CODE_TRIES_PER_HOUR = 10


def _zalo_code_hash(digits: str) -> str:
    """Keyed, so that the stored hashes cannot be checked against the million possible codes without the key."""
    return salted_hmac("motcua.accounts.zalo", digits, algorithm="sha256").hexdigest()


def zalo_link_code(*, citizen: Citizen, now: datetime | None = None) -> tuple[str, datetime]:
    """A new one-time code (``MC 482913``) for the citizen to send to the official account; it replaces any
    earlier one. Returns the code to show and when it expires."""
    now = now or timezone.now()
    expires = now + timedelta(minutes=settings.MOTCUA_ZALO_LINK_CODE_MINUTES)
    with transaction.atomic():
        citizen.zalo_link_codes.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        while True:  # a code is unique among the stored ones (their hashes): draw again on the rare collision
            digits = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
            try:
                with transaction.atomic():
                    ZaloLinkCode.objects.create(citizen=citizen, code_hash=_zalo_code_hash(digits), created_at=now,
                                                expires_at=expires)
                break
            except IntegrityError:
                continue
    return f"{ZALO_CODE_PREFIX} {digits}", expires


def link_zalo(*, zalo_user_id: str, digits: str, now: datetime | None = None) -> Citizen:
    """Link the Zalo user who sent ``digits`` (the code's six digits) to the account that asked for the code.

    Refused: a wrong code, a used or expired one, and any code after ``ZALO_CODE_TRIES_PER_HOUR`` tries of one
    Zalo user in an hour (so the codes cannot be guessed). A Zalo user linked to another account moves to this one
    (the person who holds both proved it), and an account linked to another Zalo user takes the new one.
    """
    now = now or timezone.now()
    zalo_user_id = zalo_user_id.strip()[:64]
    key = "motcua:zalo:tries:" + salted_hmac("motcua.accounts.zalo.user", zalo_user_id).hexdigest()[:32]
    if throttles.hit(key, 3600)[0] > ZALO_CODE_TRIES_PER_HOUR:
        raise MotCuaError("too_many_attempts", _("Too many wrong codes were sent: get a new code on your account "
                                                 "page in an hour."), location="code")
    with transaction.atomic():
        record = (ZaloLinkCode.objects.select_for_update().select_related("citizen")
                  .filter(code_hash=_zalo_code_hash(digits)).first())
        if record is None:
            refusal = MotCuaError("wrong_code", _("This code is wrong; check it on your account page."),
                                  location="code")
        elif record.used_at is not None or record.expires_at <= now:
            refusal = MotCuaError("code_expired", _("This code has expired: ask for a new one."), location="code")
        else:  # the code is right: the account holder wrote it from this Zalo
            citizen = record.citizen
            record.used_at = now
            record.save(update_fields=["used_at"])
            Citizen.objects.filter(zalo_user_id=zalo_user_id).exclude(pk=citizen.pk).update(
                zalo_user_id=None, zalo_linked_at=None)
            citizen.zalo_user_id, citizen.zalo_linked_at = zalo_user_id, now
            citizen.save(update_fields=["zalo_user_id", "zalo_linked_at"])
            logger.info("citizen %s linked Zalo user %s", citizen.pk, zalo_user_id)
            return citizen
    raise refusal


def unlink_zalo(*, citizen: Citizen | None = None, zalo_user_id: str = "") -> Citizen | None:
    """Remove the link of ``citizen`` (the button on the account page) or of the Zalo user who stopped following
    the official account. Returns the citizen unlinked, if any."""
    with transaction.atomic():
        query = (Citizen.objects.select_for_update().filter(pk=citizen.pk) if citizen is not None
                 else Citizen.objects.select_for_update().filter(zalo_user_id=zalo_user_id.strip()[:64] or None))
        held = query.exclude(zalo_user_id=None).first()
        if held is None:
            return None
        logger.info("citizen %s unlinked Zalo user %s", held.pk, held.zalo_user_id)
        held.zalo_user_id, held.zalo_linked_at = None, None
        held.save(update_fields=["zalo_user_id", "zalo_linked_at"])
        if citizen is not None:
            citizen.zalo_user_id, citizen.zalo_linked_at = None, None
        return held
