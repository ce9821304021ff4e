"""Dossiers between provinces, between two real MotCua instances (``tests.peers``): A (Quảng Ninh) receives a
judicial-record dossier whose verification step is done by Hà Nội's Department of Justice; the dossier goes to B
signed, with its file and history, becomes a dossier of B's Department, whose officer sends it back with a result
file; A records B's answers in the dossier's log and moves it on. Then forged, tampered, stale and replayed
messages are refused by B's inbox."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from motcua.integrations.peers import INBOX_PATH, signing
from tests.peers import Instance, two_instances, wait_until
from tests.peers_world import APPLICANT, PDF, PROCEDURE


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    with two_instances(Path(tmp_path_factory.mktemp("peers"))) as instances:
        yield instances


def post(instance: Instance, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(instance.url + INBOX_PATH, data=body, method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def signed(key: Ed25519PrivateKey, body: bytes, *, keyid: str = "22", nonce: str = "", created: int | None = None
           ) -> dict[str, str]:
    return signing.sign(key, method="POST", path=INBOX_PATH, body=body, keyid=keyid,
                        nonce=nonce or json.loads(body)["id"], created=created)


def send_message(message_id: str, *, sha256: str | None = None) -> bytes:
    """A ``send`` from A to B, as A's outbox would write it."""
    return json.dumps({
        "id": message_id, "kind": "send", "from": "22", "agency": "000.00.02.H01",
        "dossier": {"code": f"000.00.01.H22-261126-{message_id[-4:]}", "procedure": PROCEDURE,
                    "applicant": APPLICANT, "form": {}, "components": [{"order": 1, "name": "Tờ khai"}],
                    "step": {"index": 1, "name": "Xác minh", "days": "3"}, "history": []},
        "files": [{"name": "to-khai.pdf", "kind": "scan", "component": 1,
                   "sha256": sha256 or hashlib.sha256(PDF).hexdigest(),
                   "content": base64.b64encode(PDF).decode()}],
    }, ensure_ascii=False).encode()


def test_a_dossier_goes_to_the_other_province_and_comes_back(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    [code] = a.run("submit", 1)
    # at A: held by the stand-in of Hà Nội's Department, a send message delivered to B
    remote = wait_until(lambda: a.query(
        "SELECT remote_code FROM integrations_peerexchange WHERE direction='out' AND remote_code != ''"),
        what="B's answer to the send")[0][0]
    rows = b.query("SELECT d.code, d.status, x.remote_code FROM dossiers_dossier d JOIN integrations_peerexchange x "
                   "ON x.dossier_id = d.id WHERE x.direction='in'")
    assert rows == [(remote, "in_progress", code)]
    there = b.run("state", remote)
    assert there["agency"] == "000.00.02.H01" and there["step"] == 0
    assert there["files"] == ["to-khai.pdf"]  # the file came across, its SHA-256 checked
    assert there["events"][0]["data"]["from_peer"]["code"] == code
    assert [e["action"] for e in there["events"][0]["data"]["from_peer"]["history"]][:2] == ["submit", "receive"]

    b.run("send_back", [remote])
    moved = wait_until(lambda: a.run("state", code) if a.query(
        "SELECT 1 FROM dossiers_dossier WHERE code=? AND step_index=2", code) else None,
        what="the dossier moving on at A")
    assert moved["status"] == "in_progress" and moved["agency"] == "000.00.02.H22"  # the next step, at home
    exchanges = [e for e in moved["events"] if e["action"] == "exchange"]
    assert exchanges[-1]["data"]["final"] is True and exchanges[-1]["data"]["outcome"] == "done"
    assert exchanges[-1]["data"]["moved"] == "next" and exchanges[-1]["data"]["remote_code"] == remote
    assert exchanges[-1]["note"] == "Đã xác minh: không có án tích."
    # B's intermediate event (the officer's result file) came first, as an exchange event without a move
    assert any(e["data"].get("remote_event") == "attach" and "moved" not in e["data"] for e in exchanges[:-1])
    assert "ket-qua-xac-minh.pdf" in moved["files"]  # B's result file, checked and stored at A
    assert b.query("SELECT status, returned_to FROM dossiers_dossier WHERE code=?", remote) == [
        ("returned", "MotCua Quảng Ninh")]
    # every message went once, nothing failed
    assert a.query("SELECT status, count(*) FROM integrations_outboxmessage GROUP BY status") == [("delivered", 1)]
    assert b.query("SELECT status FROM integrations_outboxmessage") == [("delivered",), ("delivered",)]


def test_forged_tampered_stale_and_unknown_messages_are_refused(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    body = send_message("test:refusals:0001")
    headers = signed(a.key, body)
    tampered = body.replace("Nguyễn Văn An".encode(), "Trần Văn Bình".encode())
    status, answer = post(b, tampered, headers)
    assert (status, answer["error"]) == (400, "digest_mismatch")
    # the body changed and its digest recomputed, under the old signature
    forged = {**headers, "Content-Digest": signing.content_digest(tampered)}
    assert post(b, tampered, forged)[0] == 401 and post(b, tampered, forged)[1]["error"] == "bad_signature"
    stranger = Ed25519PrivateKey.generate()
    status, answer = post(b, body, signed(stranger, body, keyid="99"))
    assert (status, answer["error"]) == (401, "unknown_peer")
    status, answer = post(b, body, signed(stranger, body))  # A's code, another key
    assert (status, answer["error"]) == (401, "bad_signature")
    status, answer = post(b, body, signed(a.key, body, created=int(time.time()) - 3600))
    assert (status, answer["error"]) == (401, "stale_signature")
    status, answer = post(b, body, {})
    assert (status, answer["error"]) == (400, "bad_signature_headers")
    bad_file = send_message("test:refusals:0002", sha256="0" * 64)
    status, answer = post(b, bad_file, signed(a.key, bad_file))
    assert (status, answer["error"]) == (422, "file_hash_mismatch")
    assert b.query("SELECT count(*) FROM integrations_inboxmessage WHERE message_id LIKE 'test:%'") == [(0,)]


def test_a_replayed_message_gets_the_first_answer_and_is_applied_once(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    body = send_message("test:replay:0001")
    headers = signed(a.key, body)
    status, first = post(b, body, headers)
    assert status == 200 and first["ok"] is True
    status, again = post(b, body, headers)  # the very same request again (a captured one, or a lost answer)
    assert status == 200 and again == {**first, "replayed": True}
    status, again = post(b, body, signed(a.key, body))  # signed anew (the sender's retry)
    assert status == 200 and again["dossier"] == first["dossier"]
    assert b.query("SELECT count(*) FROM integrations_peerexchange WHERE message_id='test:replay:0001'") == [(1,)]
    other = body.replace(b'"form":{}', b'"form":{"x":1}').replace(b'"form": {}', b'"form": {"x": 1}')
    assert other != body
    status, answer = post(b, other, signed(a.key, other))
    assert (status, answer["error"]) == (409, "message_id_reused")


def test_peer_add_fetches_the_key_from_the_well_known_address(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    identity = json.loads(urllib.request.urlopen(b.url + "/.well-known/motcua-peer", timeout=10).read())  # noqa: S310
    assert identity["code"] == "01" and identity["public_key"] == b.public_pem
    out = a.manage("peer_add", "01", b.url, "--fetch")
    assert out.startswith("Updated peer 01") and identity["fingerprint"] in out
    with pytest.raises(RuntimeError, match="says it is 01"):
        a.manage("peer_add", "02", b.url, "--fetch")
