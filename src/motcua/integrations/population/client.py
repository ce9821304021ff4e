"""The national population database's API as MotCua calls it (through the gateway, OAuth2 client credentials).

Protocol (docs/population.md; no official specification is public, the shape follows the gateways' habits):

- ``POST {url}/oauth2/token`` (form ``grant_type=client_credentials``, HTTP Basic with the client id and secret)
  → ``{"access_token", "token_type": "Bearer", "expires_in"}``;
- ``POST {url}/api/v1/cong-dan/tra-cuu`` ``{"SoDinhDanh"}`` → ``{"MaLoi": "00", "CongDan": {"SoDinhDanh",
  "HoVaTen", "NgaySinh" (yyyy-mm-dd), "GioiTinh" (1 man, 2 woman), "NoiThuongTru", "QueQuan"}}``;
- ``POST {url}/api/v1/cong-dan/xac-thuc`` ``{"SoDinhDanh", "HoVaTen", "NgaySinh"}`` → ``{"MaLoi": "00",
  "KetQua": "KHOP" | "SAI_HO_TEN" | "SAI_NGAY_SINH"}``;
- errors: ``MaLoi`` ``01`` unknown ID (404), ``02`` bad request (400), ``03`` unauthorized (401), anything 5xx:
  the database is down.

:func:`lookup` and :func:`verify` raise :class:`PopulationUnavailable` (down, too slow, an answer that makes no
sense: the caller says "try again later", never lets the check pass) or :class:`UnknownCitizen`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError

TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret
LOOKUP_PATH = "/api/v1/cong-dan/tra-cuu"
VERIFY_PATH = "/api/v1/cong-dan/xac-thuc"


class PopulationError(MotCuaError):
    """Something went wrong asking the population database."""


class PopulationUnavailable(PopulationError):
    """Down, too slow or answering garbage: nothing is known, the caller must not go on as if it were checked."""

    status = 503

    def __init__(self, reason: str) -> None:
        super().__init__("population_unavailable", _(
            "The national population database cannot be reached right now, so your identity could not be "
            "checked. Nothing was saved; please try again later."),
            location="id_number")
        self.reason = reason  # for the logs, not for the citizen

    def __str__(self) -> str:
        return f"population database unavailable: {self.reason}"


class UnknownCitizen(PopulationError):
    def __init__(self) -> None:
        super().__init__("unknown_citizen_id", _(
            "The national population database has no citizen with this ID number. Check the 12 digits on your ID "
            "card."), location="id_number")


class Match(StrEnum):
    MATCHED = "matched"
    NAME_MISMATCH = "name_mismatch"
    BIRTH_MISMATCH = "birth_mismatch"


ANSWERS = {"KHOP": Match.MATCHED, "SAI_HO_TEN": Match.NAME_MISMATCH, "SAI_NGAY_SINH": Match.BIRTH_MISMATCH}


@dataclass(frozen=True)
class PersonRecord:
    id_number: str
    full_name: str
    date_of_birth: date
    sex: str
    permanent_address: str
    place_of_origin: str


def enabled() -> bool:
    """Whether identity checks are on (``MOTCUA_POPULATION_URL`` set)."""
    return bool(settings.MOTCUA_POPULATION_URL)


class Client:
    """One configured connection; the token is kept until shortly before it expires (shared by threads)."""

    def __init__(self, url: str, client_id: str, secret: str, timeout: float) -> None:
        self.url, self.client_id, self.secret, self.timeout = url.rstrip("/"), client_id, secret, timeout
        self._token = ""
        self._expires = 0.0
        self._lock = threading.Lock()

    def _open(self, request: urllib.request.Request) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                status, raw = response.status, response.read(1_000_000)
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read(100_000)
        except TimeoutError as exc:
            raise PopulationUnavailable("timeout") from exc
        except (OSError, ValueError) as exc:  # refused, reset, DNS, a read timeout wrapped in URLError
            raise PopulationUnavailable(type(exc).__name__ + ": " + str(exc)[:200]) from exc
        if status >= 500:
            raise PopulationUnavailable(f"HTTP {status}")
        try:
            return status, json.loads(raw)
        except ValueError as exc:
            raise PopulationUnavailable(f"HTTP {status}: not JSON") from exc

    def token(self, *, fresh: bool = False) -> str:
        with self._lock:
            if self._token and not fresh and time.monotonic() < self._expires:
                return self._token
            basic = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
            request = urllib.request.Request(  # noqa: S310
                self.url + TOKEN_PATH, method="POST",
                data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
                headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
            status, body = self._open(request)
            token = body.get("access_token") if isinstance(body, dict) else None
            if status != 200 or not isinstance(token, str) or not token:
                raise PopulationUnavailable(f"token refused: HTTP {status}")
            expires = body.get("expires_in", 300)
            self._token = token
            self._expires = time.monotonic() + max(10.0, float(expires if isinstance(expires, int | float) else 300)
                                                   - 30.0)
            return token

    def _call(self, path: str, body: dict[str, str]) -> dict[str, Any]:
        for attempt in (0, 1):  # a token the database forgot (restarted): one new token, once
            request = urllib.request.Request(  # noqa: S310
                self.url + path, method="POST", data=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Authorization": f"Bearer {self.token(fresh=attempt == 1)}",
                         "Content-Type": "application/json"})
            status, answer = self._open(request)
            if not isinstance(answer, dict):
                raise PopulationUnavailable(f"HTTP {status}: not an object")
            code = answer.get("MaLoi")
            if status == 401 and attempt == 0:
                continue
            if status == 404 and code == "01":
                raise UnknownCitizen()
            if status != 200 or code != "00":
                raise PopulationUnavailable(f"HTTP {status}, MaLoi {code!r}")
            return answer
        raise PopulationUnavailable("unauthorized")  # pragma: no cover - the loop returns or raises

    def lookup(self, id_number: str) -> PersonRecord:
        answer = self._call(LOOKUP_PATH, {"SoDinhDanh": id_number})
        person = answer.get("CongDan")
        try:
            assert isinstance(person, dict)
            record = PersonRecord(
                id_number=str(person["SoDinhDanh"]), full_name=str(person["HoVaTen"]).strip(),
                date_of_birth=date.fromisoformat(str(person["NgaySinh"])[:10]), sex=str(person.get("GioiTinh", "")),
                permanent_address=str(person.get("NoiThuongTru") or ""),
                place_of_origin=str(person.get("QueQuan") or ""))
        except (AssertionError, KeyError, TypeError, ValueError) as exc:
            raise PopulationUnavailable("lookup answer without a person") from exc
        if record.id_number != id_number or not record.full_name:
            raise PopulationUnavailable("lookup answer for another person")
        return record

    def verify(self, id_number: str, full_name: str, date_of_birth: date) -> Match:
        answer = self._call(VERIFY_PATH, {"SoDinhDanh": id_number, "HoVaTen": full_name,
                                          "NgaySinh": date_of_birth.isoformat()})
        result = ANSWERS.get(str(answer.get("KetQua")))
        if result is None:
            raise PopulationUnavailable(f"verify answer {answer.get('KetQua')!r}")
        return result


_clients: dict[tuple[str, str, str, float], Client] = {}
_clients_lock = threading.Lock()


def client() -> Client:
    """The client for the current settings (one per configuration, its token kept)."""
    key = (settings.MOTCUA_POPULATION_URL, settings.MOTCUA_POPULATION_CLIENT_ID,
           settings.MOTCUA_POPULATION_CLIENT_SECRET, settings.MOTCUA_POPULATION_TIMEOUT)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = Client(*key)
        return _clients[key]


def lookup(id_number: str) -> PersonRecord:
    return client().lookup(id_number)


def verify(id_number: str, full_name: str, date_of_birth: date) -> Match:
    return client().verify(id_number, full_name, date_of_birth)
