"""MotCua's client of the national portal's API, through the gateway (LGSP/NGSP).

Authentication: OAuth2 client credentials — ``POST /oauth2/token`` with ``grant_type=client_credentials`` and the
client's id and secret (HTTP Basic), answered ``{"access_token", "token_type": "Bearer", "expires_in"}``; the token
is kept until a minute before it expires, and renewed once when a call is answered 401.

Calls (JSON; every answer carries ``MaLoi``, "0" for success, and ``ThongBao``; :data:`ERRORS`):

* ``POST /api/v1/hoso/them`` ``{"HoSo": [packet, …]}`` adds dossiers; ``POST /api/v1/hoso/capnhat`` updates them;
  both answer one ``KetQua`` row per dossier ``{MaHoSo, MaLoi, ThongBao}`` — "1" (đã tồn tại) when adding one the
  portal has, "2" when updating one it does not have.
* ``POST /api/v1/tiendo`` ``{"TienDo": [row, …]}`` (at most 10 rows) records progress; a row whose ``MaDongBo``
  the portal already has is dropped (counted in ``SoDongTrung``).
* ``GET /api/v1/tthc?trang=N&soluong=M``: the national procedure catalogue, a page at a time.
* ``GET /api/v1/kho/giayto?SoDinhDanh=…``: a citizen's documents in the national document store;
  ``POST /api/v1/kho/giayto`` ``{"GiayTo": [document, …]}`` pushes results there (idempotent on ``MaDongBo``).

One connection, kept alive, per thread: a delivery batch is a handful of requests on one socket.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import time
import urllib.parse
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError

OK = "0"
EXISTS = "1"
MISSING = "2"
ERRORS = {
    "0": "Thành công",
    "1": "Hồ sơ đã tồn tại",
    "2": "Hồ sơ không tồn tại",
    "3": "Dữ liệu không hợp lệ",
    "4": "Mã thủ tục hành chính không tồn tại",
    "401": "Token không hợp lệ hoặc đã hết hạn",
    "99": "Lỗi hệ thống, vui lòng thử lại sau",
}


class PortalError(MotCuaError):
    """The national portal could not be reached, answered something unreadable, or refused a request.
    ``retry``: whether sending the same thing again later may work (down, slow, garbage, 5xx)."""

    status = 502

    def __init__(self, code: str, message: Any, params: dict[str, Any] | None = None, *, retry: bool = True
                 ) -> None:
        super().__init__(code, message, params)
        self.retry = retry


def not_configured() -> PortalError:
    return PortalError("portal_not_configured", _("The national portal connection is not set up "
                                                  "(MOTCUA_DVCQG_URL)."), retry=False)


def unreachable(reason: str) -> PortalError:
    return PortalError("portal_unreachable", _("The national portal could not be reached: %(reason)s."),
                       {"reason": reason})


def garbled(what: str) -> PortalError:
    return PortalError("portal_garbled", _("The national portal answered something unreadable: %(what)s."),
                       {"what": what[:200]})


def refused(status: int, message: str) -> PortalError:
    return PortalError("portal_refused", _("The national portal refused the request (%(status)s): %(message)s."),
                       {"status": status, "message": message[:300]}, retry=status >= 500 or status == 429)


class Client:
    """The portal's API at ``url`` (default: the settings)."""

    def __init__(self, url: str | None = None, *, client_id: str | None = None, client_secret: str | None = None,
                 timeout: float | None = None) -> None:
        self.url = (url if url is not None else settings.MOTCUA_DVCQG_URL).rstrip("/")
        self.client_id = client_id if client_id is not None else settings.MOTCUA_DVCQG_CLIENT_ID
        self.client_secret = client_secret if client_secret is not None else settings.MOTCUA_DVCQG_CLIENT_SECRET
        self.timeout = timeout if timeout is not None else float(settings.MOTCUA_DVCQG_TIMEOUT)
        if not self.url:
            raise not_configured()
        parts = urllib.parse.urlsplit(self.url)
        self.https = parts.scheme == "https"
        self.host, self.port, self.base = parts.hostname or "127.0.0.1", parts.port, parts.path.rstrip("/")
        self.token = ""
        self.token_until = 0.0
        self.connection: http.client.HTTPConnection | None = None

    # --- transport --------------------------------------------------------------------------------------------

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self.connection = kind(self.host, self.port, timeout=self.timeout)
            self.connection.connect()
            if self.connection.sock is not None:  # small requests leave at once
                self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in (1, 2):  # a kept-alive socket the server closed meanwhile: once more on a new one
            try:
                connection = self._connect()
                connection.request(method, self.base + path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self.close()
                if attempt == 2:
                    raise unreachable(type(exc).__name__) from exc
            except TimeoutError as exc:
                self.close()
                raise unreachable(str(_("no answer within %(seconds)s s") % {"seconds": self.timeout})) from exc
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise unreachable(str(exc) or type(exc).__name__) from exc
        raise unreachable("?")  # pragma: no cover - the loop returns or raises

    def _token(self, renew: bool = False) -> str:
        if self.token and not renew and time.monotonic() < self.token_until:
            return self.token
        credentials = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        status, data = self._send("POST", "/oauth2/token", b"grant_type=client_credentials", {
            "Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {credentials}"})
        answer = self._json(status, data)
        if status == 401 or not answer.get("access_token"):
            raise PortalError("portal_credentials", _("The national portal refused MotCua's credentials "
                                                      "(MOTCUA_DVCQG_CLIENT_ID, MOTCUA_DVCQG_CLIENT_SECRET)."),
                              retry=False)
        self.token = str(answer["access_token"])
        self.token_until = time.monotonic() + max(0.0, float(answer.get("expires_in") or 300) - 60)
        return self.token

    @staticmethod
    def _json(status: int, data: bytes) -> dict[str, Any]:
        try:
            answer = json.loads(data)
        except ValueError:
            if status >= 400:
                raise refused(status, data.decode(errors="replace")) from None
            raise garbled(data.decode(errors="replace")) from None
        if not isinstance(answer, dict):
            raise garbled(data.decode(errors="replace"))
        return answer

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """One API call: the JSON answer of a 2xx; :class:`PortalError` otherwise (renewing the token once)."""
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() if body is not None else None
        for renew in (False, True):
            headers = {"Authorization": f"Bearer {self._token(renew)}", "Accept": "application/json"}
            if raw is not None:
                headers["Content-Type"] = "application/json; charset=utf-8"
            status, data = self._send(method, path, raw, headers)
            if status == 401 and not renew:
                continue
            answer = self._json(status, data)
            if status >= 400:
                raise refused(status, str(answer.get("ThongBao") or answer.get("error") or data[:300]))
            if "MaLoi" not in answer:
                raise garbled(data.decode(errors="replace"))
            return answer
        raise refused(401, ERRORS["401"])

    # --- the API ----------------------------------------------------------------------------------------------

    def add(self, packets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Add dossiers: ``{MaHoSo: {MaLoi, ThongBao}}``."""
        return self._rows(self.call("POST", "/api/v1/hoso/them", {"HoSo": packets}), packets)

    def update(self, packets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return self._rows(self.call("POST", "/api/v1/hoso/capnhat", {"HoSo": packets}), packets)

    @staticmethod
    def _rows(answer: dict[str, Any], packets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        rows = answer.get("KetQua")
        if not isinstance(rows, list):
            raise garbled(json.dumps(answer, ensure_ascii=False))
        found = {str(row.get("MaHoSo")): row for row in rows if isinstance(row, dict)}
        if any(p["MaHoSo"] not in found for p in packets):
            raise garbled("an answer without a row for every dossier")
        return found

    def progress(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        answer = self.call("POST", "/api/v1/tiendo", {"TienDo": rows})
        if str(answer.get("MaLoi")) != OK:
            raise refused(400, str(answer.get("ThongBao", "")))
        return answer

    def catalogue(self, page: int = 1, size: int = 100) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/tthc?trang={page}&soluong={size}")

    def documents(self, id_number: str) -> list[dict[str, Any]]:
        answer = self.call("GET", "/api/v1/kho/giayto?" + urllib.parse.urlencode({"SoDinhDanh": id_number}))
        rows = answer.get("DanhSach")
        if not isinstance(rows, list):
            raise garbled(json.dumps(answer, ensure_ascii=False))
        return [row for row in rows if isinstance(row, dict)]

    def push_documents(self, documents: list[dict[str, Any]]) -> dict[str, Any]:
        answer = self.call("POST", "/api/v1/kho/giayto", {"GiayTo": documents})
        if str(answer.get("MaLoi")) != OK:
            raise refused(400, str(answer.get("ThongBao", "")))
        return answer


_local = threading.local()


def client() -> Client:
    """This thread's client of the configured portal (its token and connection kept between batches)."""
    current: Client | None = getattr(_local, "client", None)
    url = settings.MOTCUA_DVCQG_URL.rstrip("/")
    if (current is None or current.url != url or current.client_id != settings.MOTCUA_DVCQG_CLIENT_ID
            or current.timeout != float(settings.MOTCUA_DVCQG_TIMEOUT)):
        if current is not None:
            current.close()
        current = Client()
        _local.client = current
    return current
