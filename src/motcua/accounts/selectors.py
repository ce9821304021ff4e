"""Reads about citizen accounts: finding an account by what the person types, the code waiting for them.

Writes are in :mod:`motcua.accounts.services`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from motcua.accounts.decorators import citizen_of
from motcua.accounts.models import (
    AssistedConsent,
    AssistedConsentLog,
    Citizen,
    ConsentAction,
    ContactChannel,
    VerificationCode,
)
from motcua.core.identity import normalize_phone as normalize_phone  # re-exported: accounts.services uses it
from motcua.dossiers.actors import Identity

LANGUAGES = ("vi", "en", "es")


def normalize_email(value: str) -> str:
    """Emails are compared without case: ``An@Example.COM`` and ``an@example.com`` are one account."""
    return (value or "").strip().lower()


def is_email_identifier(identifier: str) -> bool:
    return "@" in identifier


def citizen_by_identifier(identifier: str) -> Citizen | None:
    """The citizen whose phone or email is ``identifier`` (as typed on the sign-in form), or ``None``."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    queryset = Citizen.objects.select_related("user")
    if is_email_identifier(identifier):
        return queryset.filter(email=normalize_email(identifier)).first()
    phone = normalize_phone(identifier)
    return queryset.filter(phone=phone).first() if phone else None


def contact_taken(*, phone: str = "", email: str = "", exclude: Citizen | None = None) -> dict[str, bool]:
    """Whether another citizen already holds this phone / email (both are unique among citizens)."""
    others = Citizen.objects.all()
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return {
        "phone": bool(phone) and others.filter(phone=phone).exists(),
        "email": bool(email) and others.filter(email=email).exists(),
    }


def unverified_channels(citizen: Citizen) -> list[str]:
    """The citizen's contacts not yet proven, email first (the channel delivered today; SMS comes with the
    notifications work), then phone."""
    channels = []
    if citizen.email and not citizen.email_verified_at:
        channels.append(ContactChannel.EMAIL.value)
    if citizen.phone and not citizen.phone_verified_at:
        channels.append(ContactChannel.PHONE.value)
    return channels


def destination(citizen: Citizen, channel: str) -> str:
    return citizen.email if channel == ContactChannel.EMAIL else citizen.phone


def latest_code(citizen: Citizen) -> VerificationCode | None:
    """The most recent code sent to the citizen; only this one can be used (each new code replaces the last)."""
    return citizen.verification_codes.filter(used_at__isnull=True).order_by("-created_at", "-pk").first()


def live_code(citizen: Citizen) -> VerificationCode | None:
    """The code the citizen can still type: not used, not expired, tries left, sent to a contact they still have."""
    code = latest_code(citizen)
    if code is None or code.expires_at <= timezone.now() or code.attempts >= settings.ACCOUNTS_CODE_MAX_ATTEMPTS:
        return None
    if code.destination != destination(citizen, code.channel):
        return None
    return code


def resend_wait(citizen: Citizen) -> int:
    """Seconds before another code may be sent (0: now). Codes cost an SMS each and can be used to harass."""
    last = citizen.verification_codes.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is None:
        return 0
    elapsed = (timezone.now() - last).total_seconds()
    return max(0, int(settings.ACCOUNTS_CODE_RESEND_SECONDS - elapsed + 0.999))


def masked(value: str) -> str:
    """``an.nguyen@example.com`` → ``an•••@example.com``, ``0912345678`` → ``091•••678``: enough for the person
    to recognize their contact on a shared screen, not enough for a passer-by to read it."""
    if "@" in value:
        name, _, domain = value.partition("@")
        return f"{name[:2]}•••@{domain}"
    return f"{value[:3]}•••{value[-3:]}" if len(value) > 6 else "•••"


def account_summary(citizen: Citizen) -> dict[str, Any]:
    """What the account page shows: who the account is for and how verified each contact is."""
    return {
        "citizen": citizen,
        "phone_verified": bool(citizen.phone and citizen.phone_verified_at),
        "email_verified": bool(citizen.email and citizen.email_verified_at),
        "unverified": unverified_channels(citizen),
        "has_password": citizen.user.has_usable_password(),
    }


def identity_of(user: Any) -> Identity | None:
    """Who a citizen or business account's holder is (``None`` for staff, integrations, anonymous): the
    applicant of the account's online dossiers (``dossiers.services.own_applicant``)."""
    citizen: Citizen | None = citizen_of(user)
    if citizen is None:
        return None
    return Identity(kind=citizen.kind, name=citizen.full_name, id_number=citizen.id_number, phone=citizen.phone,
                    email=citizen.email, verified=citizen.identity_verified_at is not None)


def verified_id_taken(id_number: str) -> bool:
    """Whether an account holds this citizen ID verified against the population database (one person, one
    account)."""
    return Citizen.objects.filter(id_number=id_number, identity_verified_at__isnull=False).exists()


def verified_account(id_number: str) -> int | None:
    """The user id of the account whose verified citizen ID this is, if any."""
    if not id_number:
        return None
    return (Citizen.objects.filter(id_number=id_number, identity_verified_at__isnull=False)
            .values_list("user_id", flat=True).first())


def citizen_by_zalo(zalo_user_id: str) -> Citizen | None:
    """The account linked to this Zalo user (``Citizen.zalo_user_id``), if any."""
    if not zalo_user_id:
        return None
    return Citizen.objects.select_related("user").filter(zalo_user_id=zalo_user_id).first()


def zalo_link_pending(citizen: Citizen) -> bool:
    """Whether a link code of the citizen is still valid (the account page then waits for the link)."""
    return citizen.zalo_link_codes.filter(used_at__isnull=True, expires_at__gt=timezone.now()).exists()
# --- assisted filing (issue 15) ------------------------------------------------------------------------------


def consents_of(citizen: Citizen) -> list[AssistedConsent]:
    """The consents to assisted filing the citizen was asked for or gave, newest first (her account page)."""
    return list(AssistedConsent.objects.filter(citizen=citizen).select_related("staff", "agency")
                .order_by("-created_at", "-pk")[:50])


def staff_consents(user_id: int | None, since: datetime) -> list[AssistedConsent]:
    """The consents an officer asked for since ``since`` (their assisted-filing page), newest first."""
    return list(AssistedConsent.objects.filter(staff_id=user_id, created_at__gte=since)
                .select_related("citizen", "agency").order_by("-created_at", "-pk")[:50])


def filed_on_behalf(dossier_id: int) -> AssistedConsentLog | None:
    """How the dossier was filed on its applicant's behalf (who, for which agency, which consent), if it was."""
    return (AssistedConsentLog.objects.filter(dossier_id=dossier_id, action=ConsentAction.USED)
            .select_related("consent__staff", "consent__agency").first())
