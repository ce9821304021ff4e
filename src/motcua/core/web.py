"""Facts about the web request that every app needs, computed once: who is calling (:func:`client_ip`), the
site's public address (:func:`public_url`) and a throttle shared by all processes (:func:`throttle`).

- **Client address.** ``REMOTE_ADDR`` is the peer of the TCP connection. Behind a reverse proxy that is the
  proxy, and the client's address is in a header the proxy writes (``X-Forwarded-For``). Anyone can send that
  header, so it is believed only when the connection comes from a proxy listed in ``MOTCUA_TRUSTED_PROXIES``,
  and then read from the right: the first address that is not one of our proxies is the client (addresses on its
  left were written by the client itself and prove nothing). The header is parsed by python-ipware, the engine of
  django-ipware (ports, IPv6 brackets, IPv4-mapped addresses, RFC 7239 ``Forwarded`` elements). The sign-in
  lockout (django-axes, ``AXES_CLIENT_IP_CALLABLE``), the payment gateway, the feedback and tracking throttles
  all use this one rule.
- **Public address.** ``MOTCUA_PUBLIC_URL`` when set; else the address of the request being served (captured by
  :class:`RequestContextMiddleware` for code that has no request at hand, e.g. the notification rendered when a
  dossier changes); never a guessed host or port. Messages are rendered while the request runs and stored with
  their links, so the worker that sends them later sends what the request saw.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django_htmx.middleware import HtmxDetails
from python_ipware.modern.parsers import parse_ip, split_proxy_chain, unwrap_ipv4_network

from motcua.core import throttles


class HtmxHttpRequest(HttpRequest):
    """A request seen through ``django_htmx``'s middleware (``request.htmx``), for the views' annotations."""

    htmx: HtmxDetails

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_current_request: ContextVar[HttpRequest | None] = ContextVar("motcua_current_request", default=None)


# --- who is calling ----------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    """``MOTCUA_TRUSTED_PROXIES`` entries as networks: an address (``10.0.0.5``) or a prefix (``10.0.0.0/8``)."""
    return tuple(unwrap_ipv4_network(ipaddress.ip_network(entry.strip(), strict=False)) for entry in spec)


def trusted_proxies() -> tuple[Network, ...]:
    """The configured proxies (raises ``ValueError`` on an entry that is not an address or a prefix; the system
    check ``motcua.E002`` reports it at start-up)."""
    return _networks(tuple(settings.MOTCUA_TRUSTED_PROXIES))


def _is_trusted(address: Address, proxies: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, unless the connection comes from a trusted proxy; then the
    right-most address of ``MOTCUA_CLIENT_IP_HEADER`` (``X-Forwarded-For``) that is not a trusted proxy.
    ``""`` when the request has no address at all (a request built by hand)."""
    remote = parse_ip(str(request.META.get("REMOTE_ADDR") or ""))  # IPv4-mapped IPv6 read as IPv4
    if remote is None:
        return ""
    proxies = trusted_proxies()
    if not proxies or not _is_trusted(remote, proxies):
        return str(remote)
    chain = split_proxy_chain(str(request.META.get(settings.MOTCUA_CLIENT_IP_HEADER) or "")) or []
    for hop in reversed(chain):
        if not _is_trusted(hop, proxies):
            return str(hop)
    # every hop is one of ours (a health check from the proxy itself): the first one
    return str(chain[0] if chain else remote)


# --- the public address ------------------------------------------------------------------------------------


class RequestContextMiddleware:
    """Makes the request being served known to :func:`public_url` for code that is not handed it (the
    notification rendered when a dossier changes, a slip rendered by a service)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def site_root(request: HttpRequest | None = None) -> str:
    """``scheme://host[:port]`` of the site, without a trailing slash: ``MOTCUA_PUBLIC_URL`` when set, else the
    address of ``request`` or of the request being served; ``""`` outside any request (then links are relative,
    and ``check --deploy`` asks for ``MOTCUA_PUBLIC_URL``)."""
    if settings.PUBLIC_BASE_URL:
        return str(settings.PUBLIC_BASE_URL).rstrip("/")
    request = request if request is not None else _current_request.get()
    if request is None:
        return ""
    return request.build_absolute_uri("/").rstrip("/")


def public_url(path: str, request: HttpRequest | None = None) -> str:
    """The absolute address of ``path`` (``/tra-cuu/?ma=…``) as the public should use it: printed on slips,
    encoded in QR codes, sent by email and SMS."""
    return site_root(request) + (path if path.startswith("/") else f"/{path}")


# --- throttling shared by all processes --------------------------------------------------------------------


def throttle(request: HttpRequest, scope: str, *, limit: int, window: int) -> int:
    """Count one use of ``scope`` by the client's address; the seconds to wait when over ``limit`` uses in a
    fixed ``window`` (0: go ahead). Counted by :func:`motcua.core.throttles.hit`, shared by every process."""
    count, left = throttles.hit(f"motcua:throttle:{scope}:{client_ip(request)}", window)
    return 0 if count <= limit else left


def raw_body(request: HttpRequest, limit: int) -> bytes:
    """The request's raw body, at most ``limit`` bytes, for a view that reads its own protocol (a signed JSON
    webhook, a gateway's API); empty when the input boundary already read it as a form (a multipart upload spends
    the stream), so that the view answers "unreadable" in its protocol instead of failing."""
    try:
        return request.body[:limit]
    except RawPostDataException:
        return b""
