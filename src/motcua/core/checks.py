"""System checks that keep a production deployment from running with development defaults."""

from typing import Any

from axes.handlers.cache import AxesCacheHandler
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from motcua.core.web import trusted_proxies


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the development default.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="motcua.E001",
            )
        ]
    return []


PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


def _per_process(alias: str) -> bool:
    return str(settings.CACHES.get(alias, {}).get("BACKEND", "")) in PER_PROCESS_CACHES


@register(Tags.security, deploy=True)
def throttles_are_shared(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The sign-in lockout and the throttles must count across every web process, or each worker (and each
    restart) gives an attacker a fresh allowance."""
    problems: list[CheckMessage] = []
    handler = import_string(settings.AXES_HANDLER)
    if not getattr(settings, "AXES_ENABLED", True):
        problems.append(Warning("The sign-in lockout is off (AXES_ENABLED = False).", id="motcua.W003"))
    elif issubclass(handler, AxesCacheHandler) and _per_process(getattr(settings, "AXES_CACHE", "default")):
        problems.append(Warning(
            "The sign-in lockout counts failures in a per-process cache: every web process has its own count.",
            hint="Set REDIS_URL, or use the database handler (motcua.accounts.lockout.LockoutHandler).",
            id="motcua.W003"))
    if _per_process("default"):
        problems.append(Warning(
            "The cache is per process: the tracking and feedback throttles count separately in every web process.",
            hint="Set REDIS_URL to a Redis server shared by all web processes.", id="motcua.W004"))
    return problems


@register(Tags.security, deploy=True)
def client_address_is_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if settings.MOTCUA_CLIENT_IP_HEADER != "HTTP_X_FORWARDED_FOR" and not settings.MOTCUA_TRUSTED_PROXIES:
        problems.append(Warning(
            "MOTCUA_CLIENT_IP_HEADER is set but MOTCUA_TRUSTED_PROXIES is empty: the header is ignored, and behind a "
            "proxy every client has the proxy's address (one lock for all).",
            hint="List the proxies' addresses in MOTCUA_TRUSTED_PROXIES.", id="motcua.W005"))
    if not settings.PUBLIC_BASE_URL:
        problems.append(Warning(
            "MOTCUA_PUBLIC_URL is not set: links in messages created outside a web request have no host.",
            hint="Set MOTCUA_PUBLIC_URL to the public address, e.g. https://dichvucong.example.gov.vn.",
            id="motcua.W006"))
    return problems


@register(Tags.security)
def trusted_proxies_are_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        trusted_proxies()
    except ValueError as exc:
        return [Error(f"MOTCUA_TRUSTED_PROXIES has an entry that is not an address or a prefix: {exc}",
                      id="motcua.E002")]
    return []
