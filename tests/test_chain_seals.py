"""Sealed chain heads (issue 11, part 5): a log rewritten consistently with the project's own hash function passes
the chain check but not the seals; a seal whose root, leaves, signature or place in the chain of seals was
altered is caught. The signatures are real: the system seal of the demo PKI, timestamped by its TSA
(``demo_pki``: a separate server process)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from motcua.dossiers import audit
from motcua.dossiers.models import ChainSeal, Dossier, Event
from motcua.dossiers.seals import leaf_bytes, merkle_root, seal_digest_of, seal_heads, verify_seals
from tests.factories import MONDAY, World, event_triggers_dropped, receive, through_processing
from tests.pki import DemoPki

# RFC 6962's tree hash on the Certificate Transparency test leaves: the roots of the first 1…8 leaves
CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_merkle_root_is_rfc_6962s_tree_hash() -> None:
    assert merkle_root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for count, root in enumerate(CT_ROOTS, start=1):
        assert merkle_root(CT_LEAVES[:count]).hex() == root, count
    # a leaf never passes for a node: the two leaves' node hash, offered as one leaf, gives another root
    pair = merkle_root(CT_LEAVES[:2])
    assert merkle_root([b"\x01" + pair]) != pair
    assert leaf_bytes(["000.01.20.H22-261116-0001", 3, "ab"]) == b'["000.01.20.H22-261116-0001",3,"ab"]'


def findings(**kwargs: Any) -> list[str]:
    return [str(finding) for finding in verify_seals(**kwargs)]


def chain_findings() -> list[str]:
    return [str(finding) for finding in audit.verify_all()]


def rewrite_log(dossier: Dossier, seq: int, note: str) -> None:
    """The attacker's script: with the triggers dropped, change event ``seq``'s note and recompute, with the
    project's own (unkeyed) hash function, that event's hash, every later one and the dossier's head."""
    events = list(Event.objects.filter(dossier=dossier).order_by("seq"))
    prev = events[seq - 2].hash if seq > 1 else ""
    with connection.cursor() as cursor:
        for event in events[seq - 1:]:
            if event.seq == seq:
                event.note = note
            event.prev_hash = prev
            event.hash = audit.event_hash(event, dossier.code)
            cursor.execute(f"UPDATE {Event._meta.db_table} SET note = %s, prev_hash = %s, hash = %s "  # noqa: S608
                           "WHERE id = %s", [event.note, event.prev_hash, event.hash, event.pk])
            prev = event.hash
    Dossier.objects.filter(pk=dossier.pk).update(last_hash=prev)


@pytest.fixture
def sealed(world: World, demo_pki: DemoPki) -> tuple[Dossier, Dossier, ChainSeal]:
    demo_pki.system_seal()
    first = through_processing(world, receive(world), MONDAY)
    second = receive(world)
    seal = seal_heads()
    assert seal is not None
    return first, second, seal


def test_a_seal_holds_the_heads_signed_and_timestamped(sealed: tuple[Dossier, Dossier, ChainSeal],
                                                       capsys: Any) -> None:
    first, second, seal = sealed
    assert seal.leaves == sorted([[d.code, d.event_count, d.last_hash] for d in (first, second)])
    assert seal.dossier_count == 2 and seal.previous == ""
    assert seal.signer == "MotCua System Seal (SPECIMEN)" and seal.timestamp is not None
    assert findings() == [] and chain_findings() == []
    call_command("verify_audit", "--quiet")
    assert "intact" in capsys.readouterr().out
    # the next seal follows this one
    later = seal_heads(now=seal.sealed_at + timedelta(days=1))
    assert later is not None and later.previous == seal_digest_of(seal).hex() and findings() == []


def test_a_log_rewritten_with_the_projects_own_hash_is_caught_by_the_seal(
        sealed: tuple[Dossier, Dossier, ChainSeal], capsys: Any) -> None:
    first, _second, _seal = sealed
    with event_triggers_dropped():
        rewrite_log(first, 2, "đã sửa")
    assert Event.objects.get(dossier=first, seq=2).note == "đã sửa"
    assert chain_findings() == []  # the chain alone cannot tell
    assert any(f.startswith(f"{first.code}: event #{first.event_count} no longer has the hash sealed")
               for f in findings())
    with pytest.raises(SystemExit):
        call_command("verify_audit", "--quiet")
    assert "the log was rewritten" in capsys.readouterr().out


def test_a_vanished_dossier_is_caught(sealed: tuple[Dossier, Dossier, ChainSeal], world: World) -> None:
    _first, second, _seal = sealed
    with event_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Event._meta.db_table} WHERE dossier_id = %s", [second.pk])  # noqa: S608
    Dossier.objects.filter(pk=second.pk).delete()
    assert f"{second.code}: the dossier was sealed" in " ".join(findings())


def test_a_tampered_root_leaf_or_signature_is_caught(sealed: tuple[Dossier, Dossier, ChainSeal]) -> None:
    first, _second, seal = sealed
    forged_root = "00" * 32
    ChainSeal.objects.filter(pk=seal.pk).update(root=forged_root)
    found = " ".join(findings())
    assert "its root is not the Merkle root of its leaves" in found
    assert "its signature does not check: digest_mismatch" in found

    # leaves and root rewritten together (as a rewriter of the log would, to match): the signature does not
    leaves = [[code, count, "ff" * 32 if code == first.code else last] for code, count, last in seal.leaves]
    ChainSeal.objects.filter(pk=seal.pk).update(leaves=leaves, root=merkle_root(
        [leaf_bytes(leaf) for leaf in leaves]).hex())
    found = " ".join(findings())
    assert "Merkle root" not in found and "its signature does not check: digest_mismatch" in found

    ChainSeal.objects.filter(pk=seal.pk).update(leaves=seal.leaves, root=seal.root)
    assert findings() == []
    signature = bytearray(bytes(seal.signature))
    signature[len(signature) // 2] ^= 0x01
    ChainSeal.objects.filter(pk=seal.pk).update(signature=bytes(signature))
    assert "its signature does not check" in " ".join(findings())
    ChainSeal.objects.filter(pk=seal.pk).update(signature=None)
    assert "it is not signed" in " ".join(findings())


def test_a_removed_seal_breaks_the_chain_of_seals(sealed: tuple[Dossier, Dossier, ChainSeal]) -> None:
    _first, _second, seal = sealed
    middle = seal_heads(now=seal.sealed_at + timedelta(days=1))
    last = seal_heads(now=seal.sealed_at + timedelta(days=2))
    assert middle is not None and last is not None and findings() == []
    ChainSeal.objects.filter(pk=middle.pk).delete()
    assert "does not follow the previous seal" in " ".join(findings())


def test_sealing_when_due(sealed: tuple[Dossier, Dossier, ChainSeal], settings: Any, capsys: Any) -> None:
    _first, _second, seal = sealed
    settings.MOTCUA_SEAL_EVERY_HOURS = 24
    assert seal_heads(now=seal.sealed_at + timedelta(hours=23), if_due=True) is None
    due = seal_heads(now=seal.sealed_at + timedelta(hours=25), if_due=True)
    assert due is not None and due.previous == seal_digest_of(seal).hex()
    call_command("seal_chains", "--if-due")  # the latest is recent: nothing, silently
    assert ChainSeal.objects.count() == 2 and capsys.readouterr().out == ""
    ChainSeal.objects.update(sealed_at=timezone.now() - timedelta(days=2))
    call_command("seal_chains", "--if-due")
    assert ChainSeal.objects.count() == 3 and "Sealed 2 dossiers" in capsys.readouterr().out


def test_without_a_system_seal_nothing_is_sealed(world: World, demo_pki: DemoPki) -> None:
    receive(world)
    with pytest.raises(CommandError, match="system seal"):
        call_command("seal_chains")
    assert not ChainSeal.objects.exists()
