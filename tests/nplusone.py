"""N+1 detection (django-zeal) in the tests: the allowances and the per-request count; ``conftest.py`` turns it on.

N+1 queries are errors in every test: a loop that reads a relation row by row (``dossier.procedure`` for each
dossier of a list) or fetches rows one ``.get()`` at a time raises ``zeal.NPlusOneError`` where it happens.
Each request is counted on its own, from zero, with nothing allowed but ``ZEAL_ALLOWLIST``
(``nplusone_per_request``); the test's own code and the services it calls directly are counted over the whole
test, where one ``.get()`` line reached by several separate calls (sign in twice, act on a dossier five times) is
not an N+1 and is allowed (``SEPARATE_CALLS``). Where a per-row query is meant, it goes in ``ZEAL_ALLOWLIST``,
narrowly (one model and field), with the reason.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from zeal.listeners import NPlusOneContext, _nplusone_context

ZEAL_ALLOWLIST: list[dict[str, str]] = [
    # Django's session store reads the session row, and reads it again to delete it (sign-out, a new session key):
    # two reads in one request that zeal puts on the same line of ours (the first middleware), not a loop
    {"model": "sessions.Session", "field": "get()"},
]
# allowed over a whole test only (not within a request): what one call reads once, reached by separate calls
SEPARATE_CALLS = [
    {"model": "*", "field": "get()"},
    # Django's permission backend reads a user's permissions once and caches them on that user object: a test
    # asking for two users' permissions (``has_perm``) reads twice, as two requests would
    {"model": "auth.User", "field": "user_permissions"},
    {"model": "auth.User", "field": "groups"},
]


def nplusone_per_request(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A request's own count, from zero, without the allowances of the test around it (zeal's middleware would
    inherit them): a fresh context of zeal's for the request (zeal has no public call for that)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        token = _nplusone_context.set(NPlusOneContext(enabled=True))
        try:
            return get_response(request)
        finally:
            _nplusone_context.reset(token)

    return middleware
