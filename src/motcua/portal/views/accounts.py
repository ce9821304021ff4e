"""Citizen sign-up, sign-in, contact verification, sign-out and the account page (issue 4, item 1), under
``/tai-khoan/`` (the ``accounts`` URL names).

Views parse the form, call :mod:`motcua.accounts.services` and render; refusals come back as
:class:`MotCuaError` and are shown next to the field they name, with everything typed kept (never a password).
``next`` is carried through every step (sign-in, sign-up, verification), so a citizen whose session expired in
the middle of a form lands back where they were.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from motcua.accounts import assisted, selectors, services
from motcua.accounts.decorators import citizen_of
from motcua.accounts.models import Citizen, CitizenKind
from motcua.accounts.oidc import oidc_enabled, provider_name
from motcua.core.errors import FormErrors as Errors
from motcua.core.errors import MotCuaError
from motcua.core.web import throttle
from motcua.integrations.population import services as population
from motcua.integrations.population.client import enabled as population_connected
from motcua.portal.views import zalo as zalo_views

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"  # noqa: S105 - a class path, not a password
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English", "es": "Español"}


def _next(request: HttpRequest) -> str:
    """The page to continue to, if it is on this site (an open redirect would lend our name to phishing)."""
    value = request.POST.get("next") or request.GET.get("next") or ""
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return value
    return ""


def _with_next(url: str, next_url: str, **params: str) -> str:
    query = {**params, **({"next": next_url} if next_url else {})}
    return url + ("?" + urlencode(query) if query else "")


def _after_sign_in(citizen: Citizen, next_url: str) -> HttpResponse:
    if not citizen.verified:
        return HttpResponseRedirect(_with_next(reverse("accounts:verify"), next_url))
    return HttpResponseRedirect(next_url or reverse("portal:my_dossiers"))


def _oidc_context(next_url: str) -> dict[str, Any]:
    if not oidc_enabled():
        return {"oidc_url": ""}
    return {"oidc_url": _with_next(reverse("accounts:oidc_authentication_init"), next_url),
            "oidc_name": provider_name()}


def _require_citizen(request: HttpRequest) -> Citizen | HttpResponse:
    """The signed-in citizen, or a redirect to the sign-in page that comes back here."""
    citizen = citizen_of(request.user)
    if citizen is None:
        return HttpResponseRedirect(_with_next(reverse("accounts:login"), request.get_full_path()))
    return citizen


# --- sign-in, sign-up, sign-out ----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    citizen = citizen_of(request.user)
    if citizen is not None and request.method != "POST":
        return _after_sign_in(citizen, next_url)
    values = {"identifier": request.POST.get("identifier", "").strip()}
    errors = Errors()
    status = 200
    if request.method == "POST":
        try:
            user = services.authenticate_citizen(request=request, identifier=values["identifier"],
                                                 password=request.POST.get("password", ""))
        except MotCuaError as exc:
            errors = Errors.of(exc)
            status = 429 if exc.code == "too_many_attempts" else 200
        else:
            auth_login(request, user)  # keeps the anonymous session's data (drafts), with a new key
            return _after_sign_in(user.citizen, next_url)
    return render(request, "accounts/login.html", {
        "values": values, "errors": errors, "next": next_url, **_oidc_context(next_url),
    }, status=status)


SIGNUP_FIELDS = ("kind", "full_name", "id_number", "date_of_birth", "phone", "email")


def _count_identity_check(request: HttpRequest) -> None:
    """One look-up of the population database more from this address; too many in an hour: refused."""
    wait = throttle(request, "population-signup", limit=settings.MOTCUA_POPULATION_SIGNUP_CHECKS_PER_HOUR,
                    window=3600)
    if wait:
        raise population.TooManyLookups(max(1, -(-wait // 60)))


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    citizen = citizen_of(request.user)
    if citizen is not None:
        return _after_sign_in(citizen, next_url)
    values = {name: request.POST.get(name, "").strip() for name in SIGNUP_FIELDS}
    values["kind"] = values["kind"] or CitizenKind.PERSON
    errors = Errors()
    status = 200
    if request.method == "POST":
        try:
            # a person's citizen ID, name and date of birth are checked with the population database first
            citizen = population.sign_up(
                **values, password=request.POST.get("password", ""), password2=request.POST.get("password2", ""),
                language=request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "vi",
                before_lookup=lambda: _count_identity_check(request),
            )
        except MotCuaError as exc:
            errors = Errors.of(exc)
            status = 429 if exc.code == "too_many_identity_checks" else 200
        else:
            auth_login(request, citizen.user, backend=PASSWORD_BACKEND)
            try:
                services.send_code(citizen=citizen)
            except MotCuaError as exc:
                messages.error(request, exc.text())
            return HttpResponseRedirect(_with_next(reverse("accounts:verify"), next_url))
    return render(request, "accounts/signup.html", {
        "values": values, "errors": errors, "next": next_url, "kinds": CitizenKind.choices,
        "population_checks": population_connected(), **_oidc_context(next_url),
    }, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("portal:home")


# --- verification of a contact ---------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Type the code sent to a contact; send a (new) code to one of the contacts not yet verified."""
    next_url = _next(request)
    citizen = _require_citizen(request)
    if isinstance(citizen, HttpResponse):
        return citizen
    pending = selectors.unverified_channels(citizen)
    requested = request.POST.get("channel") or request.GET.get("channel") or ""
    live = selectors.live_code(citizen)
    if not pending or (citizen.verified and live is None and requested not in pending):
        return HttpResponseRedirect(next_url or reverse("portal:my_dossiers"))
    errors = Errors()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send":
                record = services.send_code(citizen=citizen, channel=requested)
                messages.success(request, _("We sent a new code to %(contact)s.")
                                 % {"contact": selectors.masked(record.destination)})
                return HttpResponseRedirect(_with_next(reverse("accounts:verify"), next_url))
            services.verify_code(citizen=citizen, code=request.POST.get("code", ""))
        except MotCuaError as exc:
            errors = Errors.of(exc)
        else:
            messages.success(request, _("Thank you: your contact is verified."))
            return HttpResponseRedirect(next_url or reverse("portal:my_dossiers"))
        live = selectors.live_code(citizen)
    channels = [{"channel": channel, "contact": selectors.masked(selectors.destination(citizen, channel)),
                 "is_email": channel == "email"} for channel in pending]
    return render(request, "accounts/verify.html", {
        "citizen": citizen, "live": live, "sent_to": selectors.masked(live.destination) if live else "",
        "channels": channels, "errors": errors, "next": next_url,
        "minutes": settings.ACCOUNTS_CODE_TTL_SECONDS // 60, "wait": selectors.resend_wait(citizen),
    })


# --- my account ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Who the account is for, contacts with their verified marks, password and language."""
    citizen = _require_citizen(request)
    if isinstance(citizen, HttpResponse):
        return citizen
    form = request.POST.get("form", "") if request.method == "POST" else ""
    values = {"phone": citizen.phone, "email": citizen.email, "address": citizen.address}
    errors = Errors()
    if form == "contacts":
        values = {name: request.POST.get(name, "").strip() for name in ("phone", "email", "address")}
        try:
            changed = services.update_contacts(citizen=citizen, **values)
        except MotCuaError as exc:
            errors = Errors.of(exc)
        else:
            if not changed:
                messages.success(request, _("Your details are saved."))
                return redirect("accounts:profile")
            messages.success(request, _("Your details are saved. Verify your new contact with the code we sent."))
            try:
                services.send_code(citizen=citizen, channel=changed[0])
            except MotCuaError as exc:
                messages.warning(request, exc.text())
            return HttpResponseRedirect(_with_next(reverse("accounts:verify"), reverse("accounts:profile")))
    elif form == "password":
        try:
            services.change_password(user=citizen.user, old_password=request.POST.get("old_password", ""),
                                     new_password=request.POST.get("new_password", ""),
                                     new_password2=request.POST.get("new_password2", ""))
        except MotCuaError as exc:
            errors = Errors.of(exc)
        else:
            update_session_auth_hash(request, citizen.user)  # stay signed in here, sign out other devices
            messages.success(request, _("Your password is changed."))
            return redirect("accounts:profile")
    elif form in zalo_views.FORMS:
        return zalo_views.handle(request, citizen, form)
    elif form == "withdraw_consent":
        try:
            assisted.withdraw(citizen=citizen, consent_id=request.POST.get("consent", ""))
        except MotCuaError as exc:
            errors = Errors.of(exc)
        else:
            messages.success(request, _("Your consent is withdrawn: no one can file on your behalf with it."))
            return redirect(reverse("accounts:profile") + "#consents-title")
    elif form == "language":
        language = request.POST.get("language", "")
        try:
            services.set_language(citizen=citizen, language=language)
        except MotCuaError as exc:
            errors = Errors.of(exc)
        else:
            messages.success(request, _("Your language is saved."))
            response = redirect("accounts:profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600,
                                samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
            return response
    return render(request, "accounts/profile.html", {
        **selectors.account_summary(citizen), "values": values, "errors": errors, "form": form,
        "consents": selectors.consents_of(citizen),
        "languages": [(code, LANGUAGE_NAMES[code]) for code in selectors.LANGUAGES],
        **zalo_views.context(request, citizen),
    })

