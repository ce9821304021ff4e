"""Sealing the heads of every dossier's event chain, periodically (issue 11, part 5).

Each dossier's log is hash-chained (``dossiers.audit``), but with the project's own, unkeyed hash function:
someone able to write the database can rewrite a log and recompute every hash and the dossier's head, and the
chain check passes. A :class:`~motcua.dossiers.models.ChainSeal` fixes the heads at one moment: the leaves are
``[dossier code, event_count, last_hash]`` of every dossier sorted by code, their Merkle root (RFC 6962 tree
hash: SHA-256 with ``0x00`` before a leaf and ``0x01`` before a pair of nodes, so a leaf can never pass for a
node) is signed with the system's seal and timestamped by a timestamp authority (RFC 3161) — neither of which the
database holds — over :func:`seal_digest_of` (the root and the previous seal's digest: the seals form a chain).

:func:`verify_seals` recomputes every seal's root from its leaves, checks the signature and the timestamp, that
each seal follows the previous one, that every sealed dossier still exists and that its event number
``event_count`` still has the sealed hash: a log rewritten after it was sealed is caught.

:func:`seal_if_due` seals when the latest seal is older than ``MOTCUA_SEAL_EVERY_HOURS`` (24 by default):
``motcua serve`` runs ``motcua seal_chains --if-due`` every few minutes (README, "Sealing the event log").
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError
from motcua.dossiers.audit import Finding
from motcua.dossiers.models import ChainSeal, Dossier, Event
from motcua.signing.services import check_digest_seal, seal_digest

logger = logging.getLogger(__name__)

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
SEAL_LOCK = 0x4D6F74437561  # the advisory lock sealers take on PostgreSQL (one seal at a time)
BATCH = 1000

Leaf = Sequence[Any]  # [dossier code, event_count, last_hash]


def leaf_bytes(leaf: Leaf) -> bytes:
    """The canonical bytes of one leaf: compact JSON of ``[code, event_count, last_hash]``."""
    code, count, last_hash = leaf
    return json.dumps([str(code), int(count), str(last_hash)], ensure_ascii=False, separators=(",", ":")).encode()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The RFC 6962 Merkle tree hash of ``leaves`` (bytes, in order): SHA-256 of the empty string for no leaf,
    ``SHA-256(0x00 || leaf)`` for one, ``SHA-256(0x01 || left || right)`` splitting at the largest power of two
    smaller than the number of leaves."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [hashlib.sha256(LEAF_PREFIX + leaf).digest() for leaf in leaves]
    # bottom-up: pair neighbours, an odd last node rises unchanged — the same tree as RFC 6962's left-full split
    while len(level) > 1:
        paired = [hashlib.sha256(NODE_PREFIX + level[i] + level[i + 1]).digest()
                  for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root_of(leaves: Sequence[Leaf]) -> str:
    return merkle_root([leaf_bytes(leaf) for leaf in leaves]).hex()


def seal_digest_of(seal: ChainSeal) -> bytes:
    """What the system's seal signs: SHA-256 of the seal's time, dossier count, root and the previous seal's
    digest (so that no seal can be removed or inserted, even one with the same root as its neighbours)."""
    text = (f"MotCua chain seal v1\n{seal.sealed_at.isoformat()}\n{seal.dossier_count}\n{seal.root}\n"
            f"{seal.previous}\n")
    return hashlib.sha256(text.encode()).digest()


# --- signing (the system's seal: motcua.signing) -----------------------------------------------------------------


class SealNotMade(MotCuaError):
    """The chain heads could not be sealed: the signature just made does not check (nothing is stored)."""

    status = 500

    def __init__(self, problems: list[str]) -> None:
        super().__init__("seal_not_made", _("The chain heads were not sealed: the signature does not check "
                                            "(%(problems)s)."), {"problems": ", ".join(problems)})


def sign_digest(digest: bytes) -> tuple[bytes, str, datetime | None]:
    """A detached CMS over ``digest`` by the system's seal with an RFC 3161 timestamp, checked at once; its signer
    and time (``signing.errors.SigningError``: no system seal, the TSA unreachable…)."""
    cms = seal_digest(digest)
    check = check_digest_seal(digest, cms)
    if not check.valid:
        raise SealNotMade(check.problems)
    return cms, check.signer_name, check.timestamp


# --- sealing ---------------------------------------------------------------------------------------------------


def latest_seal() -> ChainSeal | None:
    return ChainSeal.objects.order_by("-sealed_at", "-pk").first()


def seal_every() -> timedelta:
    return timedelta(hours=float(settings.MOTCUA_SEAL_EVERY_HOURS))


def seal_heads(now: datetime | None = None, *, if_due: bool = False) -> ChainSeal | None:
    """Seal the heads of every dossier's chain now (``if_due``: only if the latest seal is older than
    :func:`seal_every`; ``None`` if it is not)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":  # two sealers at once would both follow the same previous seal
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK])
        now = now or timezone.now()
        previous = latest_seal()
        if if_due and previous is not None and previous.sealed_at > now - seal_every():
            return None
        leaves = sorted([code, count, last] for code, count, last
                        in Dossier.objects.values_list("code", "event_count", "last_hash").iterator(BATCH))
        seal = ChainSeal(sealed_at=now, dossier_count=len(leaves), root=root_of(leaves), leaves=leaves,
                         previous=seal_digest_of(previous).hex() if previous is not None else "")
        cms, signer, timestamp = sign_digest(seal_digest_of(seal))
        seal.signature, seal.signer, seal.timestamp = cms, signer, timestamp
        seal.save()
    logger.info("sealed %d dossier chain heads: root %s", seal.dossier_count, seal.root)
    return seal


# --- verifying -------------------------------------------------------------------------------------------------


def _where(seal: ChainSeal) -> str:
    return f"seal #{seal.pk} of {seal.sealed_at:%Y-%m-%d %H:%M}"


def verify_seal(seal: ChainSeal, previous: ChainSeal | None) -> Iterator[Finding]:
    """One seal: its root, its leaves, its place in the chain of seals, its signature and timestamp."""
    where = _where(seal)
    leaves = seal.leaves if isinstance(seal.leaves, list) else []
    if root_of(leaves) != seal.root:
        yield Finding(where, "its root is not the Merkle root of its leaves (the seal or its leaves were altered)")
    if len(leaves) != seal.dossier_count:
        yield Finding(where, f"it lists {len(leaves)} dossiers but says {seal.dossier_count}")
    codes = [leaf[0] for leaf in leaves]
    if codes != sorted(set(codes)):
        yield Finding(where, "its leaves are not sorted by dossier code, or a dossier appears twice")
    expected_previous = seal_digest_of(previous).hex() if previous is not None else ""
    if seal.previous != expected_previous:
        yield Finding(where, "it does not follow the previous seal (a seal was removed, inserted or altered)")
    if not seal.signature:
        yield Finding(where, "it is not signed")
        return
    check = check_digest_seal(seal_digest_of(seal), bytes(seal.signature))
    for problem in check.problems:  # digest_mismatch (root, count, time or previous root altered), untrusted…
        yield Finding(where, f"its signature does not check: {problem}")


def verify_heads(seal: ChainSeal) -> Iterator[Finding]:
    """Every sealed dossier still exists and its event number ``event_count`` still has the sealed hash."""
    leaves = seal.leaves if isinstance(seal.leaves, list) else []
    where = _where(seal)
    for start in range(0, len(leaves), BATCH):
        part = leaves[start:start + BATCH]
        ids = dict(Dossier.objects.filter(code__in=[leaf[0] for leaf in part]).values_list("code", "pk"))
        hashes = {(dossier, seq): value for dossier, seq, value in Event.objects.filter(
            dossier_id__in=ids.values(), seq__in={leaf[1] for leaf in part}).values_list("dossier_id", "seq", "hash")}
        for code, count, last_hash in part:
            if code not in ids:
                yield Finding(code, f"the dossier was sealed ({where}) but is gone")
            elif count and hashes.get((ids[code], count)) != last_hash:
                yield Finding(code, f"event #{count} no longer has the hash sealed in {where}: the log was rewritten")


def verify_seals(progress: Callable[[int], None] | None = None) -> Iterator[Finding]:
    """Every seal, oldest first (see the module)."""
    previous: ChainSeal | None = None
    for number, seal in enumerate(ChainSeal.objects.order_by("sealed_at", "pk").iterator(50), start=1):
        yield from verify_seal(seal, previous)
        yield from verify_heads(seal)
        previous = seal
        if progress:
            progress(number)
