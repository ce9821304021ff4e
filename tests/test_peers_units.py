"""Peers in one process: the RFC 9421 signature, the key and registry commands, the well-known document, a plan
step given to another province's agency, and the outbox's outcomes of a delivery (down: retried; refused: failed
for good, the peer's error kept). The exchange between two real instances is ``tests/test_peers.py``."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from motcua.integrations import outbox
from motcua.integrations.models import OutboxMessage, OutboxStatus, Peer, PeerAgency, PeerExchange, PeerStep
from motcua.integrations.peers import INBOX_PATH, keys, signing
from motcua.integrations.peers.signing import Refused
from tests.factories import APPLICANT, MONDAY, World, act
from tests.pki import free_port


def test_a_signature_covers_method_path_digest_and_its_parameters() -> None:
    key = Ed25519PrivateKey.generate()
    body = b'{"id":"m1"}'
    headers = signing.sign(key, method="POST", path=INBOX_PATH, body=body, keyid="22", nonce="m1", created=1000)
    assert headers["Content-Digest"] == signing.content_digest(body)
    assert headers["Signature-Input"] == ('peer=("@method" "@path" "content-digest");created=1000;keyid="22";'
                                          'alg="ed25519";nonce="m1"')
    signed = signing.parse(headers["Signature-Input"], headers["Signature"], headers["Content-Digest"])
    assert (signed.keyid, signed.created, signed.nonce) == ("22", 1000, "m1")
    signing.check_digest(signed, body)
    signing.verify(signed, key.public_key(), method="POST", path=INBOX_PATH)
    signing.check_created(signed, 300, now=1200)
    with pytest.raises(Refused) as stale:
        signing.check_created(signed, 300, now=1400)
    assert stale.value.code == "stale_signature"
    with pytest.raises(Refused) as other_path:
        signing.verify(signed, key.public_key(), method="POST", path="/peers/other")
    assert other_path.value.code == "bad_signature"
    # a parameter changed after signing (a fresher ``created`` to pass the window)
    younger = signing.parse(headers["Signature-Input"].replace("created=1000", "created=1300"),
                            headers["Signature"], headers["Content-Digest"])
    with pytest.raises(Refused) as forged:
        signing.verify(younger, key.public_key(), method="POST", path=INBOX_PATH)
    assert forged.value.code == "bad_signature"
    with pytest.raises(Refused) as changed:
        signing.check_digest(signed, body + b" ")
    assert (changed.value.code, changed.value.status) == ("digest_mismatch", 400)
    with pytest.raises(Refused) as fewer:  # the digest not covered: the body could be anything
        signing.parse(headers["Signature-Input"].replace(' "content-digest"', ""), headers["Signature"],
                      headers["Content-Digest"])
    assert (fewer.value.code, fewer.value.status) == ("bad_signature_headers", 400)


@pytest.mark.django_db
def test_peer_keys_makes_the_key_once_and_peer_add_registers_a_peer(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "keys" / "peer_key.pem"
    with override_settings(MOTCUA_PEER_KEY_FILE=key_file, MOTCUA_INSTANCE_CODE="22"):
        keys.private_key.cache_clear()
        call_command("peer_keys")
        first = capsys.readouterr()
        assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert first.out.startswith("-----BEGIN PUBLIC KEY-----") and "Made" in first.err
        call_command("peer_keys")
        again = capsys.readouterr()
        assert again.out == first.out and "Kept" in again.err
        answer = json.loads(Client().get("/.well-known/motcua-peer").content)
        assert answer["code"] == "22" and answer["public_key"].strip() == first.out.strip()
        assert set(answer) == {"code", "name", "public_key", "fingerprint", "alg", "inbox", "protocol"}
        keys.private_key.cache_clear()
    theirs = tmp_path / "theirs.pem"
    theirs.write_text(keys.public_pem(Ed25519PrivateKey.generate()))
    call_command("peer_add", "01", "http://127.0.0.1:8001/", "--key-file", str(theirs), "--name", "Hà Nội")
    out = capsys.readouterr().out
    peer = Peer.objects.get(code="01")
    assert peer.base_url == "http://127.0.0.1:8001" and keys.fingerprint(peer.public_key) in out
    theirs.write_text("not a key")
    with pytest.raises(CommandError):
        call_command("peer_add", "01", "http://127.0.0.1:8001", "--key-file", str(theirs))


class Answer(BaseHTTPRequestHandler):
    status = 401

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"error": "bad_signature", "message": {"en": "no"}}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_peer() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.django_db
def test_a_step_of_another_province_sends_the_dossier_and_its_delivery_outcomes(
        world: World, tmp_path: Path, refusing_peer: str) -> None:
    peer = Peer.objects.create(code="01", name="Hà Nội", base_url=f"http://127.0.0.1:{free_port()}",
                               public_key=keys.public_pem(Ed25519PrivateKey.generate()))
    stand_in = world.justice.__class__.objects.create(identifier_code="000.00.02.H01", name="Sở Tư pháp Hà Nội",
                                                      kind="specialized", unit=world.justice.unit)
    link = PeerAgency.objects.create(agency=stand_in, peer=peer, remote_code="000.00.02.H01")
    PeerStep.objects.create(procedure_code="2.000488", step_name="Xác minh", agency=link)
    from motcua.dossiers import services

    dossier, _new = services.create_dossier(actor=world.actor("tiepnhan.tinh"), now=MONDAY, data={
        "procedure": "2.000488", "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}]})
    assert [step["agency"] for step in dossier.plan][1] == stand_in.pk  # the plan names the other province
    assert not OutboxMessage.objects.exists()
    dossier = act(world, dossier, "transfer", "tiepnhan.tinh", MONDAY)
    assert dossier.current_agency_id == stand_in.pk
    message = OutboxMessage.objects.get()
    assert (message.system, message.kind, message.target, message.ordering) == ("peer", "send", "01", dossier.code)
    exchange = PeerExchange.objects.get()
    assert (exchange.direction, exchange.step_index, exchange.back_to_id, exchange.by_transfer) == (
        "out", 1, world.center.pk, False)
    with override_settings(MOTCUA_PEER_KEY_FILE=tmp_path / "k.pem", MOTCUA_INSTANCE_CODE="22",
                           MOTCUA_PEER_TIMEOUT=2):
        keys.private_key.cache_clear()
        report = outbox.deliver_due(systems=["peer"])  # the peer is down: retried later
        message.refresh_from_db()
        assert (report.retried, message.status, message.attempts) == (1, OutboxStatus.PENDING, 1)
        assert "Connection refused" in message.last_error or "URLError" in message.last_error
        Peer.objects.filter(pk=peer.pk).update(base_url=refusing_peer)
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=None)
        report = outbox.deliver_due(systems=["peer"])  # refused: final, the peer's error kept for the admin
        message.refresh_from_db()
        assert (report.failed, message.status) == (1, OutboxStatus.FAILED)
        assert message.last_error.startswith("HTTP 401") and "bad_signature" in message.last_error
        keys.private_key.cache_clear()
    # nobody works at the stand-in: the dossier goes back to the step it was sent from, the reason in its log
    dossier.refresh_from_db()
    assert (dossier.step_index, dossier.current_agency_id, dossier.status) == (0, world.center.pk, "received")
    last = dossier.events.order_by("-seq").first()
    assert last is not None and last.action == "exchange" and "HTTP 401" in last.data["not_sent"]
    assert PeerExchange.objects.get().state == "declined"
    client = Client()
    client.force_login(world.users["tiepnhan.tinh"])
    page = client.get(f"/workspace/dossiers/{dossier.code}/").content.decode()
    assert 'id="peer-exchange"' in page and "HTTP 401" in page  # the panel, and the reason in the history


@pytest.mark.django_db
def test_a_dossier_from_another_province_is_handled_in_the_workspace_and_sent_back(world: World) -> None:
    from motcua.dossiers.services.exchange import receive_from_peer
    from motcua.integrations.models import ExchangeDirection

    peer = Peer.objects.create(code="01", name="MotCua Hà Nội", base_url="http://127.0.0.1:8001",
                               public_key=keys.public_pem(Ed25519PrivateKey.generate()))
    history = [{"seq": 1, "action": "submit", "label": "Đã nộp", "at": "2026-11-16T09:00:00+07:00",
                "agency": "Trung tâm PVHCC Hà Nội", "note": ""}]
    dossier = receive_from_peer(agency=world.justice, procedure="2.000488", applicant=APPLICANT, form_data={},
                                components=[{"order": 1, "name": "Tờ khai", "received": True}],
                                step={"name": "Xác minh", "days": "3"}, files=[], sender=peer.name,
                                origin={"peer": "01", "code": "000.00.01.H01-261116-0001", "history": history})
    PeerExchange.objects.create(direction=ExchangeDirection.IN, peer=peer, dossier=dossier,
                                remote_code="000.00.01.H01-261116-0001", message_id="send:x:1", state="working")
    assert (dossier.status, dossier.current_agency_id, dossier.current_role) == (
        "in_progress", world.justice.pk, "processing")
    client = Client()
    client.force_login(world.users["tuphap"])
    page = client.get(f"/workspace/dossiers/{dossier.code}/").content.decode()
    assert 'id="peer-exchange"' in page and "000.00.01.H01-261116-0001" in page and "Trung tâm PVHCC Hà Nội" in page
    assert "gui-tra-tinh" in page
    stranger = Client()
    stranger.force_login(world.users["chuyenvien"])  # another agency's officer cannot send it back
    stranger.post(f"/workspace/dossiers/{dossier.code}/gui-tra-tinh/", {"outcome": "done"})
    dossier.refresh_from_db()
    assert dossier.status == "in_progress" and not OutboxMessage.objects.exists()
    answer = client.post(f"/workspace/dossiers/{dossier.code}/gui-tra-tinh/", {"outcome": "done", "note": "Sạch"})
    assert answer.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.status, dossier.returned_to) == ("returned", "MotCua Hà Nội")
    message = OutboxMessage.objects.get()
    assert (message.kind, message.target, message.payload["final"], message.payload["outcome"]) == (
        "status", "01", True, "done")
    assert message.payload["origin_code"] == "000.00.01.H01-261116-0001"
    assert message.payload["event"]["note"] == "Sạch"


@pytest.mark.django_db
def test_a_received_dossier_has_no_next_step_to_forward_to(world: World) -> None:
    from motcua.dossiers.services.exchange import receive_from_peer

    dossier = receive_from_peer(agency=world.justice, procedure="2.000488", applicant=APPLICANT, form_data={},
                                components=[], step={"name": "Xác minh", "days": "3"}, files=[], sender="Hà Nội",
                                origin={"peer": "01", "code": "x"})
    from motcua.dossiers.rules import RuleBroken

    with pytest.raises(RuleBroken) as refused:
        act(world, dossier, "forward", "tuphap", MONDAY)
    assert refused.value.code == "no_next_step"


def test_the_trial_links_the_peer_and_maps_the_procedure_for_the_portal(world, tmp_path, settings) -> None:
    """`make run`'s `peer_demo main`: Hà Nội registered, its department a stand-in, the procedure mapped to its
    national code so that the trial's dossier syncs to the portal before anyone runs sync_catalog."""
    from motcua.demo import peers as demo_peers
    from motcua.integrations.models import CodeMapping, Peer, PeerStep

    settings.MOTCUA_PEER_KEY_FILE = tmp_path / "own" / "peer_key.pem"
    (tmp_path / "own").mkdir()
    demo_peers.link_main(tmp_path)
    demo_peers.link_main(tmp_path)  # idempotent
    assert Peer.objects.get().code == "01" and PeerStep.objects.count() == 1
    mapping = CodeMapping.objects.get(system="portal", kind="procedure", local_code="2.000488")
    assert mapping.remote_code == "2.002065"


def test_the_history_line_of_an_answer_says_done_or_declined() -> None:
    from django.utils import translation

    from motcua.workspace.views.dossier import _exchange_line

    with translation.override("en"):
        line = _exchange_line({"final": True, "outcome": "done", "remote_label": "Exchanged", "remote_code": "X-1"})
        assert line == "Done · Exchanged · X-1"
        declined = _exchange_line({"final": True, "outcome": "declined", "remote_label": "Exchanged"})
        assert declined.startswith("Declined")
        assert _exchange_line({"remote_label": "Being handled", "remote_code": "X-1"}) == "Being handled · X-1"
