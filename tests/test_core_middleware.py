"""The input boundary, fuzzed: every entry point of the site (the URL resolver's patterns, the API's operations from
its OpenAPI document, the admin sign-in) gets NUL bytes, other control characters and invalid UTF-8 in its path,
query, form fields, multipart values and file names, JSON keys and strings, cookies and headers; a deeply nested
JSON body; a body just over each limit. Anonymously, as a reception officer and as a citizen.

Nothing answers 500; everything under ``/api/`` answers in the JSON error shape; bad text is refused with 400
(the payment gateway's notice is answered in the gateway's protocol and kept); nothing else is written.

PostgreSQL is where this matters (its text cannot hold NUL; SQLite stores it), so run it there too:
``DATABASE_URL=postgres://… pytest tests/test_core_middleware.py``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db.models import Model
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver

from motcua.accounts.models import Citizen, VerificationCode
from motcua.api.auth import issue_token
from motcua.dossiers import selectors
from motcua.dossiers.models import Attachment, Dossier, DossierAccess, Event, IdempotencyKey
from motcua.feedback.models import Petition, Rating
from motcua.notifications.models import Notification
from motcua.payments.models import Payment, PaymentNotice
from motcua.portal import services as portal_services
from motcua.portal.models import Draft, DraftFile
from tests.factories import World, make_citizen, new_dossier, pdf_bytes, sign_in

SRC = Path(__file__).resolve().parents[1] / "src" / "motcua"
WRITTEN: list[type[Model]] = [Dossier, Event, Attachment, DossierAccess, IdempotencyKey, Citizen, VerificationCode,
                              Petition, Rating, Notification, Payment, Draft, DraftFile, Session]
NUL = "a\x00b"
CONTROL = "a\x1bb\x7f"  # ESC is a C0 control character that no form field has a reason to carry
GATEWAY = ("/thanh-toan/ipn/", "/thanh-toan/ket-qua/")  # the gateway's own protocol: answered and kept


def field_names() -> list[str]:
    """Every parameter name the code reads or a template submits: the fuzz fills them all at once."""
    names: set[str] = {"file", "c1-file", "c1-scan", "m0", "result_file", "username", "password", "q", "code"}
    for path in SRC.rglob("*.py"):
        names |= set(re.findall(r"(?:GET|POST|FILES)(?:\.get|\.getlist)?[(\[][\"']([\w-]+)[\"']", path.read_text()))
    for path in SRC.rglob("*.html"):
        names |= set(re.findall(r'name="([\w-]+)"', path.read_text()))
    return sorted(names)


NAMES = field_names()


# --- the entry points ---------------------------------------------------------------------------------------------


@dataclass
class Site:
    """The values that make each address real (a dossier of the citizen, a draft, a procedure, an agency)."""

    dossier: str
    procedure: str
    agency: str
    draft: str
    clients: dict[str, Client] = field(default_factory=dict)

    def value(self, route: str, name: str) -> str:
        """A real value for the parameter ``name`` of ``route``."""
        if name == "code":
            if route.startswith(("thu-tuc/", "nop-ho-so/", "api/v1/procedures")):
                return self.procedure
            if route.startswith("co-quan/"):
                return self.agency
            if route.startswith("workspace/phan-anh/"):
                return "PA-2026-000001"
            return self.dossier
        return {"agency_code": self.agency, "draft_id": self.draft, "step": "details", "action": "transfer",
                "kind": "01", "number": "BL-2026-000001", "token": "x" * 20, "path": "v2/x"}.get(name, "1")


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)|\{(\w+)\}")


def routes() -> list[str]:
    """Every pattern of the URL configuration (the API's included), the admin's sign-in and index."""
    found: list[str] = ["admin/login/", "admin/"]

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                if not route.startswith("admin/"):
                    walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                found.append(route)

    walk(get_resolver().url_patterns, "")
    return list(dict.fromkeys(found))  # one pattern per address (the API's GET and POST share one)


@dataclass(frozen=True)
class Entry:
    route: str
    method: str  # the method the entry point answers (POST where it takes a body)
    fill: Callable[[Site, str | None], str]  # the address, with one parameter replaced by the given raw text

    @property
    def api(self) -> bool:
        return self.route.startswith("api/")


def entry(route: str, method: str) -> Entry:
    def fill(site: Site, bad: str | None) -> str:
        replaced = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal replaced
            name = match.group(2) or match.group(3) or match.group(4)
            converter = match.group(1) or "str"
            if bad is not None and not replaced and converter in ("str", "path"):
                replaced = True
                return bad
            return site.value(route, name)

        address = "/" + PARAM.sub(substitute, route)
        if bad is not None and not replaced:
            address = address.rstrip("/") + "/" + bad + "/"
        return address

    return Entry(route, method, fill)


def entries(openapi: dict[str, Any]) -> list[Entry]:
    api_methods: dict[str, list[str]] = {}
    for path, operations in openapi["paths"].items():
        api_methods["api/v1" + PARAM.sub(lambda m: "<" + (m.group(4) or "x") + ">", path).rstrip("/")] = [
            method.upper() for method in operations]
    found: list[Entry] = []
    for route in routes():
        key = PARAM.sub(lambda m: "<" + (m.group(2) or m.group(3) or m.group(4)) + ">", route).rstrip("/")
        if route.startswith("api/v1/") and key in api_methods:
            found += [entry(route, method) for method in api_methods[key]]
        else:
            found += [entry(route, "GET"), entry(route, "POST")]
    return found


@pytest.fixture
def site(world: World) -> Site:
    citizen = make_citizen()
    dossier = new_dossier(world, citizen.user)
    draft = portal_services.start(owner=citizen.user, code="1.000894")
    made = Site(dossier=dossier.code, procedure="1.000894", agency=world.commune.identifier_code, draft=str(draft.pk))
    # a 500 is answered, as a server would, rather than raised into the test
    staff = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users['tiepnhan'])}")
    staff.force_login(world.users["tiepnhan"])
    signed_in = Client(raise_request_exception=False)
    sign_in(signed_in, citizen)
    made.clients = {"anonymous": Client(raise_request_exception=False), "staff": staff, "citizen": signed_in}
    return made


@pytest.fixture
def every_entry(site: Site) -> list[Entry]:
    return entries(site.clients["anonymous"].get("/api/v1/openapi.json").json())


# --- the bad inputs -----------------------------------------------------------------------------------------------


def multipart(fields: list[tuple[bytes, bytes]], files: list[tuple[bytes, bytes, bytes]]) -> tuple[bytes, str]:
    """A multipart body built byte by byte (the test client would encode the text properly)."""
    boundary = b"----motcua-fuzz"
    parts = [b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, name, value)
             for name, value in fields]
    parts += [b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: application/pdf'
              b"\r\n\r\n%s\r\n" % (boundary, name, filename, content) for name, filename, content in files]
    return b"".join(parts) + b"--%s--\r\n" % boundary, "multipart/form-data; boundary=" + boundary.decode()


def json_body(text: str) -> dict[str, Any]:
    """A dossier, an action and every known name, each with ``text``; the keys too."""
    applicant = {"name": text, "id_number": text, "phone": text, "address": text, "kind": text, "email": text}
    body: dict[str, Any] = {name: text for name in NAMES}
    body.update({"procedure": "1.000894", "channel": "counter", "applicant": applicant, "revision": 1,
                 "components": [{"order": 1, "originals": 1, "note": text}], "form_data": {text: [text]},
                 text: {"nested": [text]}})
    return body


@dataclass(frozen=True)
class Request:
    """How one bad input is sent: the address's parameter, the query, the body, extra headers."""

    path: str | None = None  # replaces one parameter of the address (raw, percent-encoded)
    query: str = ""
    body: bytes | None = None
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body_only: bool = False  # only for entry points that take a body (POST)
    refused: int | None = 400  # None: Django itself makes it harmless (no 500, nothing written is still checked)
    code: str = "invalid_text"  # the refusal's code (in the JSON body, or the page's data-code)


def query_of(text: str) -> str:
    return urlencode({name: text for name in NAMES})


def form_of(raw: bytes) -> bytes:
    return b"&".join(name.encode() + b"=" + raw for name in NAMES)


def fuzz_multipart(value: bytes, filename: bytes) -> tuple[bytes, str]:
    files = [(name.encode(), filename, pdf_bytes()) for name in ("file", "c1-file", "c1-scan", "m0", "result_file")]
    return multipart([(name.encode(), value) for name in NAMES], files)


DEEP = b"[" * 100_000 + b"]" * 100_000
KINDS: dict[str, Request] = {
    "path-nul": Request(path="a%00b"),
    "path-control": Request(path="a%1Bb"),
    "path-utf8": Request(path="a%FFb"),
    "query-nul": Request(query=query_of(NUL)),
    "query-control": Request(query=query_of(CONTROL)),
    "query-utf8": Request(query="&".join(f"{name}=%C3%28%FF" for name in NAMES)),
    "form-nul": Request(body=form_of(quote(NUL).encode()), content_type="application/x-www-form-urlencoded",
                        body_only=True),
    "form-utf8": Request(body=form_of(b"%FF%FE"), content_type="application/x-www-form-urlencoded", body_only=True),
    "multipart-nul": Request(*(None, ""), *fuzz_multipart(b"a\x00b", b"scan.pdf"), body_only=True),
    "multipart-utf8": Request(*(None, ""), *fuzz_multipart(b"a\xffb", b"scan.pdf"), body_only=True),
    # Django removes non-printable characters from uploaded file names itself (the boundary checks the result)
    "filename-nul": Request(*(None, ""), *fuzz_multipart(b"ok", b"scan\x00.pdf"), body_only=True, refused=None),
    "json-nul": Request(body=json.dumps(json_body(NUL)).encode(), content_type="application/json", body_only=True),
    "json-surrogate": Request(body=json.dumps(json_body("\ud800")).encode(), content_type="application/json",
                              body_only=True),
    "json-utf8": Request(body=b'{"note": "a\xffb", "procedure": "1.000894"}', content_type="application/json",
                         body_only=True),
    "json-deep": Request(body=DEEP, content_type="application/json", body_only=True, code="body_too_deep"),
    "json-deep-untyped": Request(body=DEEP, content_type="text/plain", body_only=True, code="body_too_deep"),
    "json-deep-64": Request(body=b'{"a":' * 80 + b"1" + b"}" * 80, content_type="application/json", body_only=True,
                            code="body_too_deep"),
    "cookie-nul": Request(headers={"HTTP_COOKIE": "sessionid=abcdefgh\x00ijklmnop; csrftoken=a\x00b; "
                                                  "django_language=v\x00i"}),
    "cookie-utf8": Request(headers={"HTTP_COOKIE": "sessionid=abcdefgh\xffijklmnop"}),
    "header-nul": Request(headers={"HTTP_AUTHORIZATION": "Bearer mc_\x00", "HTTP_X_FORWARDED_FOR": "203.0.113.1\x00",
                                   "HTTP_IDEMPOTENCY_KEY": NUL, "HTTP_ACCEPT_LANGUAGE": "vi\x00",
                                   "HTTP_REFERER": "http://testserver/\x00", "HTTP_HX_CURRENT_URL": NUL}),
}


def send(client: Client, target: Entry, site: Site, how: Request) -> tuple[str, Any]:
    address = target.fill(site, how.path)
    if how.query:
        address += "?" + how.query
    extra = dict(how.headers)
    if how.path is not None:
        extra["RAW_URI"] = address  # the request line as gunicorn gives it (Django keeps a path's bad UTF-8 as %FF)
    if how.body is None:
        response = client.generic(target.method, address, **extra)
    else:
        response = client.generic(target.method, address, how.body, how.content_type, **extra)
    return address, response


def problems_of(target: Entry, address: str, response: Any, how: Request, kind: str) -> list[str]:
    found: list[str] = []
    status = response.status_code
    if status >= 500:
        found.append(f"HTTP {status}")
    if target.api and status >= 400:
        try:
            body = response.json()
            assert isinstance(body["error"], str) and set(body["message"]) == {"vi", "en"}
        except Exception:
            found.append(f"HTTP {status} not in the JSON error shape: {response.content[:80]!r}")
    gateway = address.split("?")[0] in GATEWAY
    if gateway and how.path is None and how.body is None:  # bad query, cookie, header: replaced, not refused
        if target.method == "GET" and address.startswith("/thanh-toan/ipn/") and not (
                status == 200 and "RspCode" in response.json()):
            found.append(f"the gateway's notice was not answered in its protocol (HTTP {status})")
    elif how.refused is not None and status != how.refused:
        found.append(f"HTTP {status} instead of the refusal {how.refused}")
    elif how.refused is not None:
        code = response.json().get("error") if target.api else re.findall(r'data-code="([^"]*)"',
                                                                           response.content.decode())[:1]
        if code not in (how.code, [how.code]):
            found.append(f"refused as {code!r}, not {how.code!r}")
    return found


def counts(sessions: bool = True) -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in WRITTEN if sessions or model is not Session}


def fuzz(site: Site, targets: list[Entry], kind: str, how: Request, anonymous: bool = False) -> Iterator[str]:
    for identity, client in site.clients.items():
        if anonymous and identity != "anonymous":
            continue
        for target in targets:
            if how.body_only and target.method == "GET":
                continue
            address, response = send(client, target, site, how)
            for problem in problems_of(target, address, response, how, kind):
                yield f"{identity:9} {target.method:4} /{target.route} ({address[:60]!r}): {problem}"


CHANNELS = sorted({kind.split("-")[0] for kind in KINDS})  # path, query, form, multipart, filename, json, cookie…


@pytest.mark.parametrize("channel", CHANNELS)
def test_bad_text_is_refused_at_every_entry_point(site: Site, every_entry: list[Entry], channel: str) -> None:
    failures: list[str] = []
    for kind, how in KINDS.items():
        if kind.split("-")[0] != channel:
            continue
        before = counts(sessions=how.refused is not None)  # a harmless request may sign out: a new session
        failures += [f"[{kind}] {line}" for line in fuzz(site, every_entry, kind, how)]
        after = counts(sessions=how.refused is not None)
        if after != before:
            failures.append(f"[{kind}] rows were written: {before} → {after}")
    crashed = {" ".join(line.split()[2:4]) for line in failures if line.endswith("HTTP 500")}
    assert not failures, (f"{len(crashed)} entry point(s) of {len(every_entry)} answered 500:\n"
                          + "\n".join(sorted(crashed)) + "\n" + "\n".join(failures[:60]))


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded", "multipart"])
def test_a_body_just_over_each_limit_is_refused_as_too_large(
    site: Site, every_entry: list[Entry], settings: Any, content_type: str,
) -> None:
    """``DATA_UPLOAD_MAX_MEMORY_SIZE`` (a body Django will not hold in memory) and ``MOTCUA_MAX_REQUEST_MB`` (one
    it will not even read), both made small here: 413 everywhere, JSON under /api/."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    settings.MOTCUA_MAX_REQUEST_MB = 1
    before = counts()
    failures: list[str] = []
    for size in (64 * 1024 + 1, 1024 * 1024 + 1):
        if content_type == "application/json":
            body, kind = json.dumps({"note": "x" * size}).encode(), content_type
        elif content_type == "multipart":
            body, kind = multipart([(b"note", b"x" * size)], [])
        else:
            body, kind = b"note=" + b"x" * size, content_type
        how = Request(body=body, content_type=kind, body_only=True, refused=413, code="request_too_large")
        failures += fuzz(site, every_entry, f"large-{size}", how, anonymous=True)
    assert not failures, "\n".join(failures[:60])
    assert counts() == before


def test_too_many_fields_are_refused(site: Site, every_entry: list[Entry]) -> None:
    how = Request(query="&".join(f"f{i}=1" for i in range(1100)), refused=413, code="request_too_large")
    api = [target for target in every_entry if target.api or target.route in ("tra-cuu/", "thu-tuc/")]
    failures = list(fuzz(site, api, "many", how))
    assert not failures, "\n".join(failures[:60])


def test_a_refused_gateway_notice_is_answered_in_its_protocol_and_kept(site: Site) -> None:
    """The gateway's server-to-server notice with a NUL byte: answered ``RspCode 99`` as any unreadable notice,
    and kept among the payment notices with the bad characters replaced, like a forged one."""
    client = site.clients["anonymous"]
    response = client.get("/thanh-toan/ipn/?" + urlencode({"vnp_TxnRef": "MC\x00", "vnp_Amount": "3000000",
                                                            "vnp_SecureHash": "ab\x00"}),
                          HTTP_X_FORWARDED_FOR="203.0.113.9\x00")
    assert response.status_code == 200 and response.json() == {"RspCode": "99", "Message": "Unknown error"}
    notice = PaymentNotice.objects.get()
    assert (notice.source, notice.outcome, notice.reason) == ("ipn", "rejected", "invalid_data")
    assert notice.params["vnp_TxnRef"] == "MC\ufffd" and notice.params["vnp_Amount"] == "3000000"
    returned = client.get("/thanh-toan/ket-qua/?vnp_TxnRef=%FF&vnp_SecureHash=00")
    assert returned.status_code == 400
    assert PaymentNotice.objects.filter(source="return", outcome="rejected", reason="invalid_data").count() == 1
    assert Payment.objects.filter(status="paid").count() == 0


def test_the_json_error_shape_holds_for_an_unexpected_exception(site: Site, monkeypatch: Any, caplog: Any) -> None:
    """An exception nobody expected inside an API view (injected here: none is known) is a JSON 500, logged with
    its traceback."""

    def broken(code: str) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "track", broken)
    with caplog.at_level(logging.ERROR, logger="motcua.api"):
        response = site.clients["anonymous"].get(f"/api/v1/track/{site.dossier}")
    assert response.status_code == 500
    assert response.json()["error"] == "server_error" and set(response.json()["message"]) == {"vi", "en"}
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)


def test_every_user_is_still_served(site: Site) -> None:
    """Good text passes: Vietnamese, tabs and new lines in a form, JSON with nested objects, cookies."""
    staff = site.clients["staff"]
    assert staff.get("/tra-cuu/", {"ma": site.dossier}).status_code == 200
    assert staff.get("/thu-tuc/", {"q": "đăng ký kết hôn\t"}).status_code == 200
    response = staff.post(f"/api/v1/dossiers/{site.dossier}/actions/transfer",
                          json.dumps({"note": "Đủ hồ sơ\r\n\tký", "revision": None}), content_type="application/json")
    assert response.status_code in (200, 403, 409), response.content
    assert get_user_model().objects.count() >= 2


@pytest.mark.parametrize(("address", "location"), [
    ("/api/v1/dossiers?received_to=0", "received_to"),
    ("/api/v1/dossiers?received_from=20260101", "received_from"),
    ("/api/v1/dossiers?limit=true", "limit"),
    ("/api/v1/procedures/1.000894/due-date?received_at=0", "received_at"),
    ("/api/v1/procedures/1.000894/due-date?received_at=1700000000", "received_at"),
])
def test_dates_are_iso_text_and_numbers_are_not_guessed(site: Site, address: str, location: str) -> None:
    """Lax parsing read ``received_to=0`` as 1970-01-01 and ``revision=false`` as 0."""
    response = site.clients["staff"].get(address)
    assert response.status_code == 422, response.content
    assert response.json()["error"] == "validation_failed"
    assert [error["location"] for error in response.json()["errors"]] == [location]


def test_a_boolean_is_not_a_revision_nor_a_number(site: Site) -> None:
    staff = site.clients["staff"]
    act = f"/api/v1/dossiers/{site.dossier}/actions/transfer"
    refused = staff.post(act, json.dumps({"revision": False}), content_type="application/json")
    assert refused.status_code == 422 and refused.json()["errors"][0]["location"] == "revision"
    body = {"procedure": "1.000894", "channel": "counter", "applicant": {"name": "An", "id_number": "0220"},
            "components": [{"order": True, "originals": 1}]}
    created = staff.post("/api/v1/dossiers", json.dumps(body), content_type="application/json")
    assert created.status_code == 422 and created.json()["errors"][0]["location"] == "components.0.order"
    assert Dossier.objects.count() == 1
    good = staff.get("/api/v1/dossiers", {"received_from": "2020-01-01", "received_to": "2099-12-31", "limit": "5"})
    assert good.status_code == 200 and good.json()["limit"] == 5
    due = staff.get("/api/v1/procedures/1.000894/due-date", {"received_at": "2026-11-23T09:00:00+07:00"})
    assert due.status_code == 200, due.content


@pytest.mark.django_db
def test_json_depth_limit_is_exactly_64_levels() -> None:
    client = Client()

    def nested(levels: int) -> Any:
        return client.post("/api/v1/dossiers", b"[" * levels + b"]" * levels, content_type="application/json")

    assert nested(64).json()["error"] != "body_too_deep"  # the view answers it (here: 401, no credentials)
    assert nested(65).status_code == 400 and nested(65).json()["error"] == "body_too_deep"


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "back"), [("/tai-khoan/dang-xuat/", "/"), ("/workspace/logout/", "/workspace/")])
def test_an_action_opened_directly_answers_with_a_page_that_leads_back(path: str, back: str) -> None:
    """An action's address takes a form's POST; opened with GET (its link shared, or reached again after signing in)
    it says so on a page with a way back, instead of the browser's blank 405 error."""
    response = Client().get(path)
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    page = response.content.decode()
    assert f'class="btn btn-primary" href="{back}"' in page
    assert "<h1" in page
