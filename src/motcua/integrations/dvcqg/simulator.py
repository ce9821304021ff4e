"""A simulator of the national public service portal (``motcua portal_sim``): a small HTTP server speaking
``dvcqg.client``'s protocol, so that the sync runs for real on a laptop and in the tests.

It issues OAuth2 tokens (client credentials), adds and updates dossiers (answering "1 — Hồ sơ đã tồn tại" for one
it has, "2" for an update of one it has not, "4" for an unknown procedure code, "3" for a packet missing a field),
records progress rows (dropping one whose ``MaDongBo`` it has), serves the national procedure catalogue (the demo
province's procedures and a dozen more), and keeps the citizens' national document store (documents listed by ID
number; results pushed by MotCua). ``/`` lists the dossiers it received with their status and progress rows.

State is in memory. ``POST /_sim/config`` (no token: it is the test's door) sets ``failure_rate`` (share of calls
answered 503), ``slow`` (seconds to wait before answering), ``garbage`` (share of calls answered with a body that is
not JSON), ``twice`` (share of calls applied twice, as a gateway that replays a request), ``lost`` (share of calls
applied but answered 504, as if the answer were lost); ``POST /_sim/reset`` empties it; ``GET /_sim/state`` is the
whole state as JSON.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import random
import secrets
import threading
import time
from collections import deque
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from motcua.core.simulators import SimulatorHandler, serve_forever
from motcua.integrations.dvcqg.client import ERRORS, EXISTS, MISSING, OK

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEMO_CATALOG = Path(__file__).resolve().parents[2] / "catalog" / "demo" / "catalog_quang_ninh.json"
REQUIRED = ("MaHoSo", "MaTTHC", "TrangThaiHoSo", "NgayNopHoSo")
STATUS_NAMES = {
    1: "Mới đăng ký", 2: "Được tiếp nhận", 3: "Không được tiếp nhận", 4: "Đang xử lý", 5: "Yêu cầu bổ sung",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính", 7: "Công dân yêu cầu rút hồ sơ", 8: "Dừng xử lý", 9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}
# national procedures the demo province does not offer
NATIONAL_ONLY = [
    ("1.001757", "Cấp Căn cước", "CC", "Căn cước"),
    ("2.001159", "Đăng ký thường trú", "CT_DC", "Đăng ký, quản lý cư trú"),
    ("1.004194", "Đăng ký tạm trú", "CT_DC", "Đăng ký, quản lý cư trú"),
    ("1.001612.TW", "Cấp hộ chiếu phổ thông ở trong nước", "XNC", "Xuất nhập cảnh"),
    ("1.002804", "Đăng ký xe", "DKX", "Đăng ký, quản lý phương tiện giao thông"),
    ("1.011648", "Cấp đổi giấy phép lái xe do ngành Công an cấp", "GPLX", "Giấy phép lái xe"),
    ("1.004964", "Đăng ký thành lập doanh nghiệp tư nhân", "TLDN", "Thành lập và hoạt động doanh nghiệp"),
    ("1.005335", "Cấp giấy phép lao động cho người nước ngoài", "VL", "Việc làm"),
    ("2.000286", "Giải quyết hưởng trợ cấp thất nghiệp", "VL", "Việc làm"),
    ("1.000105", "Cấp thẻ bảo hiểm y tế cho người dưới 6 tuổi", "BHYT", "Bảo hiểm y tế"),
    ("1.003003", "Đăng ký dự thi tốt nghiệp trung học phổ thông", "GD", "Giáo dục và Đào tạo"),
    ("2.002065", "Cấp phiếu lý lịch tư pháp cho công dân Việt Nam", "LLTP", "Lý lịch tư pháp"),
]
# documents the store holds before MotCua pushes anything: the trial's citizen (Nguyễn Thị Hương, `congdan.demo`,
# born 12/04/1990, whose origin is Hoành Bồ) and the API examples' applicant (the tests' too)
SEEDED = {
    "022190004567": [("Giấy khai sinh", "KS-1990-0004567", "UBND xã Hoành Bồ", "19900420000000"),
                     ("Bằng tốt nghiệp trung học phổ thông", "THPT-2008-104567", "Sở GD&ĐT Quảng Ninh",
                      "20080715000000"),
                     ("Bằng tốt nghiệp đại học", "DH-2012-004567", "Trường Đại học Hạ Long", "20120630000000")],
    "022090001234": [("Giấy khai sinh", "KS-1990-0001234", "UBND xã Hà Tu", "19900101000000"),
                     ("Bằng tốt nghiệp trung học phổ thông", "THPT-2008-556677", "Sở GD&ĐT Quảng Ninh",
                      "20080715000000")],
}


def national_catalogue() -> list[dict[str, Any]]:
    """The national catalogue the simulator serves: the demo province's procedures (codes and names as published
    nationally) and :data:`NATIONAL_ONLY`."""
    rows: list[dict[str, Any]] = []
    try:
        demo = json.loads(DEMO_CATALOG.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        demo = {"fields": [], "procedures": []}
    fields = {f["code"]: f["name_vi"] for f in demo.get("fields", [])}
    for p in demo.get("procedures", []):
        rows.append({"MaTTHC": p["code"], "TenTTHC": p["name_vi"], "MaLinhVuc": p.get("field", ""),
                     "TenLinhVuc": fields.get(p.get("field", ""), ""), "CapThucHien": p.get("level", ""),
                     "ThoiHanGiaiQuyet": p.get("processing_days", "")})
    for code, name, field_code, field_name in NATIONAL_ONLY:
        rows.append({"MaTTHC": code, "TenTTHC": name, "MaLinhVuc": field_code, "TenLinhVuc": field_name,
                     "CapThucHien": "central", "ThoiHanGiaiQuyet": ""})
    return rows


# the page's head: a phone shows it at its own width, each table row as a block of lines, long codes wrapped
PAGE_HEAD = ("<meta charset=utf-8><meta name=viewport content='width=device-width, initial-scale=1'>"
             "<style>body{font-family:sans-serif;margin:.5rem;overflow-wrap:anywhere}"
             "table{border-collapse:collapse;width:100%}td,th{vertical-align:top}ol,ul{padding-left:1.2rem}"
             "@media (max-width:40rem){table,tbody,tr,td{display:block}tr:first-child:has(th){display:none}"
             "tr{border-bottom:2px solid #888;padding:.3rem 0}td{border:0!important;padding:.1rem}}</style>")


class Simulator:
    def __init__(self, *, client_id: str, client_secret: str, failure_rate: float = 0.0, slow: float = 0.0,
                 seed: int | None = None, token_seconds: int = 3600) -> None:
        self.client_id, self.client_secret, self.token_seconds = client_id, client_secret, token_seconds
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.config: dict[str, float] = {"failure_rate": failure_rate, "slow": slow, "garbage": 0.0,
                                         "twice": 0.0, "lost": 0.0}
        self.catalogue = national_catalogue()
        self.known = {row["MaTTHC"] for row in self.catalogue}
        self.log: deque[tuple[str, str, str]] = deque(maxlen=200)
        self.reset()

    def reset(self) -> None:
        self.tokens: dict[str, float] = {}
        self.dossiers: dict[str, dict[str, Any]] = {}
        self.progress: dict[str, list[dict[str, Any]]] = {}
        self.progress_keys: set[str] = set()
        self.store: dict[str, list[dict[str, Any]]] = {
            number: [{"SoDinhDanh": number, "TenGiayTo": name, "MaGiayToKetQua": code, "CoQuanCap": issuer,
                      "NgayCap": day, "NguonDuLieu": "CSDL quốc gia"} for name, code, issuer, day in rows]
            for number, rows in SEEDED.items()}
        self.store_keys: set[str] = set()
        self.counts: dict[str, int] = {"them": 0, "capnhat": 0, "tiendo": 0, "kho": 0, "trung": 0, "calls": 0}

    # --- authentication ------------------------------------------------------------------------------------------

    def issue_token(self, authorization: str, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        client_id, secret = form.get("client_id", [""])[0], form.get("client_secret", [""])[0]
        if authorization.startswith("Basic "):
            with contextlib.suppress(ValueError):
                client_id, _sep, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if form.get("grant_type", [""])[0] != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if (client_id, secret) != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client"}
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_seconds
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_seconds}

    def authorized(self, header: str) -> bool:
        token = header[7:] if header.startswith("Bearer ") else ""
        with self.lock:
            until = self.tokens.get(token)
        return until is not None and until > time.monotonic()

    # --- dossiers and progress ---------------------------------------------------------------------------------

    def upsert(self, body: Any, *, adding: bool) -> tuple[int, dict[str, Any]]:
        packets = body.get("HoSo") if isinstance(body, dict) else None
        if not isinstance(packets, list) or not packets:
            return 400, {"MaLoi": "3", "ThongBao": ERRORS["3"]}
        rows = []
        with self.lock:
            self.counts["them" if adding else "capnhat"] += 1
            for packet in packets:
                code = str(packet.get("MaHoSo", "")) if isinstance(packet, dict) else ""
                missing = [name for name in REQUIRED if not isinstance(packet, dict) or packet.get(name) in
                           (None, "", 0)]
                if missing:
                    rows.append({"MaHoSo": code, "MaLoi": "3", "ThongBao": f"{ERRORS['3']}: {', '.join(missing)}"})
                elif str(packet["MaTTHC"]) not in self.known:
                    rows.append({"MaHoSo": code, "MaLoi": "4", "ThongBao": ERRORS["4"]})
                elif adding and code in self.dossiers:
                    rows.append({"MaHoSo": code, "MaLoi": EXISTS, "ThongBao": ERRORS[EXISTS]})
                elif not adding and code not in self.dossiers:
                    rows.append({"MaHoSo": code, "MaLoi": MISSING, "ThongBao": ERRORS[MISSING]})
                else:
                    kept = self.dossiers.get(code)
                    if kept is None or int(packet.get("PhienBan") or 0) >= int(kept.get("PhienBan") or 0):
                        self.dossiers[code] = {**packet, "_at": datetime.now(VN).strftime("%H:%M:%S")}
                    self.progress.setdefault(code, [])
                    rows.append({"MaHoSo": code, "MaLoi": OK, "ThongBao": ERRORS[OK]})
        return 200, {"MaLoi": OK, "ThongBao": ERRORS[OK], "KetQua": rows}

    def add_progress(self, body: Any) -> tuple[int, dict[str, Any]]:
        rows = body.get("TienDo") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows or len(rows) > 10:
            return 400, {"MaLoi": "3", "ThongBao": f"{ERRORS['3']}: TienDo (1–10 dòng)"}
        new = duplicate = 0
        with self.lock:
            self.counts["tiendo"] += 1
            for row in rows:
                if not isinstance(row, dict) or str(row.get("MaHoSo", "")) not in self.dossiers:
                    return 200, {"MaLoi": MISSING, "ThongBao": ERRORS[MISSING]}
            for row in rows:
                key = str(row.get("MaDongBo") or "")
                if key and key in self.progress_keys:
                    duplicate += 1
                    continue
                self.progress_keys.add(key)
                self.progress.setdefault(str(row["MaHoSo"]), []).append(row)
                new += 1
            self.counts["trung"] += duplicate
        return 200, {"MaLoi": OK, "ThongBao": ERRORS[OK], "SoDongMoi": new, "SoDongTrung": duplicate}

    # --- the catalogue and the document store --------------------------------------------------------------------

    def catalogue_page(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        try:
            page = max(1, int(query.get("trang", ["1"])[0]))
            size = min(500, max(1, int(query.get("soluong", ["100"])[0])))
        except ValueError:
            return 400, {"MaLoi": "3", "ThongBao": ERRORS["3"]}
        rows = self.catalogue[(page - 1) * size:page * size]
        return 200, {"MaLoi": OK, "ThongBao": ERRORS[OK], "TongSo": len(self.catalogue), "Trang": page,
                     "DanhSach": rows}

    def documents(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        number = query.get("SoDinhDanh", [""])[0].strip()
        if not number.isdigit():
            return 400, {"MaLoi": "3", "ThongBao": f"{ERRORS['3']}: SoDinhDanh"}
        with self.lock:
            rows = [dict(row) for row in self.store.get(number, [])]
        return 200, {"MaLoi": OK, "ThongBao": ERRORS[OK], "SoDinhDanh": number, "DanhSach": rows}

    def push_documents(self, body: Any) -> tuple[int, dict[str, Any]]:
        rows = body.get("GiayTo") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            return 400, {"MaLoi": "3", "ThongBao": ERRORS["3"]}
        new = 0
        with self.lock:
            self.counts["kho"] += 1
            for row in rows:
                if not isinstance(row, dict) or not str(row.get("SoDinhDanh", "")).isdigit():
                    return 200, {"MaLoi": "3", "ThongBao": f"{ERRORS['3']}: SoDinhDanh"}
            for row in rows:
                key = str(row.get("MaDongBo") or row.get("MaGiayToKetQua"))
                if key in self.store_keys:
                    continue
                self.store_keys.add(key)
                self.store.setdefault(str(row["SoDinhDanh"]), []).append({**row, "NguonDuLieu": "MotCua"})
                new += 1
        return 200, {"MaLoi": OK, "ThongBao": ERRORS[OK], "SoGiayToMoi": new}

    # --- pages ---------------------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"dossiers": dict(self.dossiers), "progress": {k: list(v) for k, v in self.progress.items()},
                    "store": {k: list(v) for k, v in self.store.items()}, "counts": dict(self.counts),
                    "config": dict(self.config)}

    def page(self) -> str:
        with self.lock:
            dossiers = list(self.dossiers.values())[-200:]
            progress = {code: list(rows) for code, rows in self.progress.items()}
            counts = dict(self.counts)
            log = list(self.log)
        body = []
        for d in reversed(dossiers):
            code = str(d.get("MaHoSo"))
            rows = "".join(
                f"<li>{html.escape(str(r.get('ThoiDiemXuLy')))} · {html.escape(str(r.get('NoiDungXuLy')))} · "
                f"{html.escape(str(r.get('NguoiXuLy')))} ({html.escape(str(r.get('PhongBanXuLy')))}) → "
                f"{html.escape(STATUS_NAMES.get(int(r.get('TrangThai') or 0), '?'))}</li>"
                for r in progress.get(code, []))
            status = int(d.get("TrangThaiHoSo") or 0)
            body.append(f"<tr><td>{html.escape(code)}</td><td>{html.escape(str(d.get('MaTTHC')))} "
                        f"{html.escape(str(d.get('TenTTHC')))}</td><td>{status} — "
                        f"{html.escape(STATUS_NAMES.get(status, '?'))}</td><td>{html.escape(str(d.get('_at')))}</td>"
                        f"<td><ol>{rows}</ol></td></tr>")
        calls = "".join(f"<tr><td>{t}</td><td>{html.escape(w)}</td><td>{html.escape(a)}</td></tr>"
                        for t, w, a in log[:50])
        return (f"<!doctype html>{PAGE_HEAD}"
                "<title>Cổng DVCQG (giả lập)</title><h1>National public service portal — simulator</h1>"
                f"<p>{len(self.dossiers)} dossiers · {sum(len(v) for v in progress.values())} progress rows · "
                f"calls: {html.escape(json.dumps(counts))} · config: {html.escape(json.dumps(self.config))}</p>"
                "<h2>Dossiers received</h2><table border=1 cellpadding=4><tr><th>MaHoSo<th>Thủ tục"
                f"<th>TrangThaiHoSo<th>Updated<th>Progress (TienDo)</tr>{''.join(body)}</table>"
                f"<h2>Last calls</h2><table border=1 cellpadding=4>{calls}</table>")

    # --- HTTP ----------------------------------------------------------------------------------------------------

    def draw(self, name: str) -> bool:
        rate = float(self.config.get(name) or 0.0)
        with self.lock:
            return rate > 0 and self.random.random() < rate

    def handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(SimulatorHandler):

            def _mishap(self) -> bool:
                """The configured failures, drawn for an API call: slow, down, garbage (True: answered)."""
                slow = float(sim.config.get("slow") or 0.0)
                if slow:
                    time.sleep(slow)
                if sim.draw("failure_rate"):
                    self._json(503, {"MaLoi": "99", "ThongBao": ERRORS["99"]})
                    return True
                if sim.draw("garbage"):
                    self._send(200, b"<html><body>Gateway Timeout</body></html>", "text/html")
                    return True
                return False

            def _authorized(self) -> bool:
                if sim.authorized(self.headers.get("Authorization", "")):
                    return True
                self._json(401, {"MaLoi": "401", "ThongBao": ERRORS["401"]})
                return False

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                path = parts.path.rstrip("/")
                if path == "":
                    self._send(200, sim.page().encode(), "text/html; charset=utf-8")
                elif path == "/_sim/state":
                    self._json(200, sim.state())
                elif path in ("/api/v1/tthc", "/api/v1/kho/giayto"):
                    if not self._authorized() or self._mishap():
                        return
                    self._json(*(sim.catalogue_page(query) if path == "/api/v1/tthc" else sim.documents(query)))
                else:
                    self._json(404, {"MaLoi": "404", "ThongBao": "not found"})

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(min(length, 20_000_000))
                path = urlsplit(self.path).path.rstrip("/")
                if path == "/oauth2/token":
                    self._json(*sim.issue_token(self.headers.get("Authorization", ""),
                                                parse_qs(raw.decode(errors="replace"))))
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._json(400, {"MaLoi": "3", "ThongBao": f"{ERRORS['3']}: not JSON"})
                    return
                if path == "/_sim/config":
                    with sim.lock:
                        for name in sim.config:
                            if name in body:
                                sim.config[name] = float(body[name])
                    self._json(200, {"MaLoi": OK, "config": sim.config})
                    return
                if path == "/_sim/reset":
                    with sim.lock:
                        sim.reset()
                    self._json(200, {"MaLoi": OK})
                    return
                actions = {"/api/v1/hoso/them": lambda: sim.upsert(body, adding=True),
                           "/api/v1/hoso/capnhat": lambda: sim.upsert(body, adding=False),
                           "/api/v1/tiendo": lambda: sim.add_progress(body),
                           "/api/v1/kho/giayto": lambda: sim.push_documents(body)}
                action = actions.get(path)
                if action is None:
                    self._json(404, {"MaLoi": "404", "ThongBao": "not found"})
                    return
                if not self._authorized() or self._mishap():
                    return
                status, answer = action()
                if sim.draw("twice"):  # a gateway that replays the request: applied again, answered the second time
                    status, answer = action()
                with sim.lock:
                    sim.counts["calls"] += 1
                    sim.log.appendleft((datetime.now(VN).strftime("%H:%M:%S"), path.rsplit("/", 1)[-1],
                                        f"{status} {answer.get('MaLoi')}"))
                if sim.draw("lost"):
                    self._json(504, {"MaLoi": "99", "ThongBao": "Gateway Timeout"})
                    return
                self._json(status, answer)

        return Handler

    def serve(self, host: str, port: int) -> None:
        serve_forever(host, port, self.handler())
