"""The site's edge, before any view runs: oversized bodies, bad text and wrong methods under /api/ are refused.

The input boundary (:class:`InputBoundaryMiddleware`) is the one place where what a request carries is checked as
text: the path, the query, form fields, multipart values and file names, JSON keys and strings, cookies and headers.
A NUL byte (which PostgreSQL text cannot hold), another control character (tab, new line and carriage return are
text), a lone surrogate or bytes that are not UTF-8 are refused with 400 and nothing is written; so are bodies
nested too deep, and bodies too large for memory (413). Under ``/api/`` in the API's JSON error shape, elsewhere
as a page in the visitor's language. See ``docs/security.md``.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, unquote_to_bytes

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import InvalidBody, InvalidText, MotCuaError, NestedTooDeep, RequestTooLarge

if TYPE_CHECKING:
    from typing_extensions import Buffer

log = logging.getLogger("motcua.boundary")

# C0 control characters but tab, new line and carriage return; DEL; lone surrogates (from JSON's \ud800 escapes).
BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_JSON_DEPTH = 64  # the deepest real body (a dossier's e-form data) is under 10
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
BAD_TEXT_SEEN = "motcua.bad_text"  # request.META key: where a view that keeps bad text found it


# --- strict UTF-8 for multipart forms -----------------------------------------------------------------------------
# Django decodes multipart values with errors="replace": invalid UTF-8 would silently become U+FFFD. Under this
# encoding (set on requests with a multipart body) the same decoding raises instead. (The query and urlencoded
# forms are checked by parsing them strictly here: Django 5.1+ refuses another encoding for those.)

STRICT_UTF8 = "motcua-strict-utf-8"


def _strict_decode(data: Buffer, errors: str = "strict", /) -> tuple[str, int]:
    return codecs.utf_8_decode(data, "strict", True)


def _strict_encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
    return codecs.utf_8_encode(text, "strict")


def _find_codec(name: str) -> codecs.CodecInfo | None:
    if name == STRICT_UTF8.replace("-", "_"):
        return codecs.CodecInfo(_strict_encode, _strict_decode, name=STRICT_UTF8)
    return None


codecs.register(_find_codec)


# --- refusals -----------------------------------------------------------------------------------------------------


def back_address(request: HttpRequest) -> str:
    """Where a refusal page leads back to: the page the form was on (its address), never another site."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        return "/"
    if referer and not BAD_TEXT.search(referer) and url_has_allowed_host_and_scheme(referer, allowed_hosts={host}):
        return str(referer)
    path = request.path
    return path if request.method == "POST" and not BAD_TEXT.search(path) else "/"


def refusal(request: HttpRequest, error: MotCuaError) -> HttpResponse:
    """``error`` in the API's JSON shape under ``/api/``, elsewhere as a page (``400.html``, ``413.html``) in the
    visitor's language (this runs before the locale middleware)."""
    if request.path.startswith("/api/"):
        return JsonResponse(error.as_dict(), status=error.status)
    try:
        language = translation.get_language_from_request(request) or settings.LANGUAGE_CODE
    except LookupError:
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        html = render_to_string("413.html" if error.status == 413 else "400.html", {
            "message": error.text(language), "code": error.code, "back": back_address(request),
            "LANGUAGE_CODE": language,
        })
    return HttpResponse(html, status=error.status)


def body_limit() -> int:
    """``MOTCUA_MAX_REQUEST_MB`` (50 MB by default): a reception form with several scans fits; each file is
    further limited to ``MOTCUA_MAX_UPLOAD_MB`` by ``core.uploads``."""
    return int(settings.MOTCUA_MAX_REQUEST_MB) * 1024 * 1024


def too_large(length: int) -> RequestTooLarge:
    return RequestTooLarge(
        _("The upload is too large (%(size)s MB): at most %(total)s MB at once, %(limit)s MB per file."),
        {"size": round(length / (1024 * 1024)), "limit": settings.MOTCUA_MAX_UPLOAD_MB,
         "total": settings.MOTCUA_MAX_REQUEST_MB},
    )


def fields_too_large() -> RequestTooLarge:
    return RequestTooLarge(
        _("The text of this request is too large: at most %(limit)s MB besides the files."),
        {"limit": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024), 1)},
    )


def too_many_fields() -> RequestTooLarge:
    return RequestTooLarge(_("This request has too many fields or files (at most %(fields)s fields and %(files)s "
                             "files)."), {"fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
                                          "files": settings.DATA_UPLOAD_MAX_NUMBER_FILES})


class BodySizeLimitMiddleware:
    """Refuse oversized request bodies before Django reads them (a 200 MB upload never reaches the disk)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > body_limit():
            return refusal(request, too_large(length))
        return self.get_response(request)


# --- the input boundary -------------------------------------------------------------------------------------------

View = TypeVar("View", bound=Callable[..., HttpResponse])


def keeps_bad_text(view: View) -> View:
    """Mark a view that must answer bad text in its own protocol (a payment gateway's notice): bad text in its
    query, cookies or headers is not refused but replaced (U+FFFD; a bad header or cookie is dropped), and
    :func:`bad_text` tells the view where it was. Put it outermost."""
    view.keeps_bad_text = True  # type: ignore[attr-defined]
    return view


def bad_text(request: HttpRequest) -> str:
    """Where the boundary replaced bad text for a view marked :func:`keeps_bad_text` (``""``: nowhere)."""
    return str(request.META.get(BAD_TEXT_SEEN, ""))


def _shown(name: str) -> str:
    """A name (of a field, a header) fit to appear in an error: bad characters replaced, at most 60."""
    return BAD_TEXT.sub("\ufffd", name)[:60]


def _check(text: str, location: str) -> None:
    if BAD_TEXT.search(text):
        raise InvalidText(location)


def _wsgi_text(value: str, location: str) -> str:
    """A WSGI string (the raw bytes as Latin-1) read as UTF-8, strictly."""
    try:
        raw = value.encode("iso-8859-1")
    except UnicodeEncodeError:  # already text (not from a WSGI server)
        return value
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidText(location) from None


def _check_fields(data: QueryDict, where: str) -> None:
    for name, values in data.lists():
        _check(name, where)
        for value in values:
            _check(value, f"{where}.{_shown(name)}")


def _check_urlencoded(text: str, where: str) -> None:
    """A query string or urlencoded form, decoded strictly (Django itself would replace bad UTF-8 by U+FFFD)."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict",
                          max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
    except UnicodeDecodeError:
        raise InvalidText(where) from None
    except ValueError:  # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
        raise too_many_fields() from None
    for name, value in pairs:
        _check(name, where)
        _check(value, f"{where}.{_shown(name)}")


def _check_json(body: bytes) -> None:
    """Every key and string of a JSON body, iteratively (a body nested 100,000 deep is refused, not recursed)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidText("body") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise NestedTooDeep(MAX_JSON_DEPTH) from None
    except ValueError:
        _check(text, "body")  # not JSON: the view says so, but no control character gets that far either
        return
    stack: list[tuple[Any, str, int]] = [(data, "body", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth >= MAX_JSON_DEPTH:  # depth 0 is the first level: 64 levels pass, the 65th is refused
            raise NestedTooDeep(MAX_JSON_DEPTH)
        if isinstance(value, str):
            _check(value, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check(key, where)
                if isinstance(item, str | dict | list):
                    stack.append((item, key if where == "body" else f"{where}.{key}", depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value)
                         if isinstance(item, str | dict | list))


def check_input(request: HttpRequest) -> None:
    """Raise the refusal of the first bad input of ``request``."""
    _check(_wsgi_text(request.META.get("PATH_INFO", ""), "path"), "path")
    # Django keeps a path's invalid UTF-8 as "%FF" text; the raw request line, where the server gives it
    # (gunicorn's RAW_URI, uWSGI's REQUEST_URI), shows it
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI") or ""
    try:
        unquote_to_bytes(_wsgi_text(raw, "path").split("?", 1)[0]).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidText("path") from None
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            if key == "HTTP_COOKIE":
                _check(_wsgi_text(value, "cookie"), "cookie")
            else:
                _check(value, "header." + key[5:].replace("_", "-").title())
    _check_urlencoded(_wsgi_text(request.META.get("QUERY_STRING", ""), "query"), "query")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    try:
        if request.content_type == "multipart/form-data":
            # Django decodes multipart values with errors="replace": under this encoding it raises instead
            request.encoding = STRICT_UTF8
            _check_fields(request.POST, "form")
            files: MultiValueDict[str, Any] = request.FILES
            for name, uploads in files.lists():
                _check(name, "file")
                for upload in uploads:
                    _check(upload.name or "", f"file.{_shown(name)}")
        elif request.content_type == "application/x-www-form-urlencoded" and length > 0:
            try:
                form = request.body.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidText("form") from None
            _check_urlencoded(form, "form")
        elif length > 0:  # JSON, or anything else the API's parser would try as JSON
            _check_json(request.body)
    except UnicodeDecodeError:
        raise InvalidText("form") from None
    except RequestDataTooBig:
        raise fields_too_large() from None
    except (TooManyFieldsSent, TooManyFilesSent):
        raise too_many_fields() from None
    except MultiPartParserError:
        raise InvalidBody() from None


def _replace_bad_text(request: HttpRequest) -> None:
    """For a view that keeps bad text: the query with bad characters replaced, bad headers and cookies dropped."""
    query = QueryDict(request.META.get("QUERY_STRING", "").encode("iso-8859-1", "replace"), mutable=True,
                      encoding="utf-8")
    cleaned = QueryDict(mutable=True, encoding="utf-8")
    for name, values in query.lists():
        cleaned.setlist(BAD_TEXT.sub("\ufffd", name), [BAD_TEXT.sub("\ufffd", value) for value in values])
    request.META["QUERY_STRING"] = cleaned.urlencode()
    cleaned._mutable = False
    request.GET = cleaned  # type: ignore[assignment]  # the same QueryDict, immutable from here on
    for key, value in list(request.META.items()):
        if key.startswith("HTTP_") and isinstance(value, str):
            try:
                _check(_wsgi_text(value, key), key)
            except InvalidText:
                del request.META[key]


def _keeps_bad_text(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return bool(getattr(match.func, "keeps_bad_text", False))


class InputBoundaryMiddleware:
    """Refuse bad text anywhere in a request, too deep JSON and too large fields, before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            check_input(request)
        except InvalidText as error:
            if error.location in ("path", "body") or error.location.startswith(("form", "file")) \
                    or not _keeps_bad_text(request):
                return self.refuse(request, error)
            _replace_bad_text(request)
            request.META[BAD_TEXT_SEEN] = error.location
            try:
                check_input(request)
            except MotCuaError as again:
                return self.refuse(request, again)
        except MotCuaError as error:
            return self.refuse(request, error)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest, error: MotCuaError) -> HttpResponse:
        log.warning("input refused (%s at %s): %s %r", error.code, error.location or "-", request.method,
                    _shown(request.path))
        return refusal(request, error)


class ApiMethodNotAllowedMiddleware:
    """A wrong method under /api/ answers in the API's JSON error shape, not Django's HTML page; elsewhere a page
    opened with GET that only takes a form's POST (an action's address, reached again after signing in) answers
    with a page that says so and leads back (``405.html``), not the browser's blank error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith("/api/"):
            error = MotCuaError("method_not_allowed", _("%(method)s is not allowed here; allowed: %(allowed)s."),
                                {"method": request.method, "allowed": response.get("Allow", "")})
            replaced = JsonResponse(error.as_dict(), status=405)
            replaced["Allow"] = response.get("Allow", "")
            return replaced
        if response.status_code == 405 and request.method in ("GET", "HEAD") and not response.content:
            back = "/workspace/" if request.path.startswith("/workspace/") else "/"
            page = HttpResponse(render_to_string("405.html", {"back": back}, request=request), status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
