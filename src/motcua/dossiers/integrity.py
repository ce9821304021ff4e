"""Integrity of every stored file: a file is served only if its bytes still have the SHA-256 recorded when it was
stored (issue 11, part 5).

A dossier's file (:class:`~motcua.dossiers.models.Attachment`) was hashed when it was checked, and its ``attach``
event — in the dossier's hash chain — carries that hash and the attachment's id. :func:`open_verified` reads the
stored bytes once, hashing them while it copies them into a spooled buffer (memory up to
:data:`SPOOL_IN_MEMORY`, a temporary file beyond), and hands back the buffer only if the hash is the one the
chain recorded and the one the row holds: the bytes sent are the bytes checked, never a second read of the
storage. Otherwise it raises :class:`FileAltered`; the citizen sees an error page, and an
:class:`~motcua.dossiers.models.IntegrityAlert` is written (once per altered file until staff resolve it), logged
at ERROR and announced with the ``integrity_alert`` signal after the commit (``notifications`` mails the
administrators and the agency). Other apps' files with their own recorded hash (a data-warehouse document, a
draft's file) go through :func:`open_checked`.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.storage import Storage
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError
from motcua.dossiers.audit import Finding, event_hash
from motcua.dossiers.models import AlertSubject, Attachment, Event, IntegrityAlert
from motcua.dossiers.statuses import EventKind

logger = logging.getLogger(__name__)

SPOOL_IN_MEMORY = 2 * 1024 * 1024
CHUNK = 256 * 1024

# Sent after the commit with ``alert`` (a new IntegrityAlert); receivers tell staff.
integrity_alert = Signal()


class FileAltered(MotCuaError):
    """A stored file differs from what was recorded when it was stored, or is gone: it is not served."""

    status = 500

    def __init__(self, alert: IntegrityAlert | None = None) -> None:
        self.alert = alert
        super().__init__(
            "file_altered",
            _("This file cannot be opened: it is not exactly the file that was stored with the dossier (it was "
              "changed or lost in storage), so it is not shown to you. The agency has been told and will restore "
              "it; try again later or ask the agency."),
        )


@dataclass(frozen=True)
class Subject:
    """What a stored file is, to say so in an alert."""

    kind: str
    object_id: int | None
    dossier_id: int | None = None
    agency_id: int | None = None


def attach_event(attachment: Attachment) -> Event | None:
    """The ``attach`` event that recorded ``attachment`` in its dossier's chain (one query)."""
    return (Event.objects.filter(dossier_id=attachment.dossier_id, action=EventKind.ATTACH,
                                 data__attachment=attachment.pk)
            .select_related("dossier").order_by("seq").first())


def chain_problem(attachment: Attachment, event: Event | None) -> str:
    """What is wrong with the record of ``attachment`` in its dossier's chain (empty: nothing)."""
    if event is None:
        return "no attach event in the dossier's chain records this file"
    if event_hash(event, event.dossier.code) != event.hash:
        return f"the attach event #{event.seq} that records this file was altered"
    if event.data.get("sha256") != attachment.sha256:
        return f"the file's row does not have the SHA-256 its attach event #{event.seq} recorded"
    return ""


class HashingReader:
    """A stream that hashes what is read from it, from its start: :meth:`hexdigest` is the SHA-256 of the whole
    stream if it was read through in order from position 0 (as a storage saving it does), else empty."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.in_order = stream.tell() == 0
        self.at_end = False

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        if self.in_order:
            self.digest.update(data)
            self.at_end = self.at_end or not data or size < 0
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self.stream.seek(offset, whence)
        self.in_order = position == 0
        self.at_end = False
        if self.in_order:
            self.digest = hashlib.sha256()
        return position

    def tell(self) -> int:
        return self.stream.tell()

    @property
    def closed(self) -> bool:
        return bool(self.stream.closed)

    def close(self) -> None:
        self.stream.close()

    def hexdigest(self) -> str:
        if not (self.in_order and (self.at_end or not self.stream.read(1))):
            return ""
        return self.digest.hexdigest()


def digest_of(storage: Storage, name: str) -> str | None:
    """The SHA-256 of a stored file, read in chunks (``None`` if it is missing)."""
    digest = hashlib.sha256()
    try:
        with storage.open(name, "rb") as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
    except (FileNotFoundError, OSError):
        return None
    return digest.hexdigest()


def _spool(storage: Storage, name: str) -> tuple[IO[bytes], str] | None:
    """The stored file copied into a spooled buffer (at the start), and the SHA-256 of what was copied."""
    digest = hashlib.sha256()
    buffer = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - handed to the response
    try:
        with storage.open(name, "rb") as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                buffer.write(chunk)
    except (FileNotFoundError, OSError):
        buffer.close()
        return None
    buffer.seek(0)
    return buffer, digest.hexdigest()


def open_checked(field: Any, expected: str, subject: Subject, problem: str = "") -> IO[bytes]:
    """The bytes of stored file ``field`` (a ``FieldFile``) in a buffer, if their SHA-256 is ``expected`` and no
    ``problem`` was found with the record; :class:`FileAltered` (and an alert) otherwise."""
    name = field.name or ""
    copied = _spool(field.storage, name) if name else None
    if copied is None:
        raise FileAltered(alert(subject, name, problem or "the stored file is missing", expected, ""))
    buffer, found = copied
    if found != expected or problem:
        buffer.close()
        raise FileAltered(alert(subject, name, problem or "the stored bytes differ from the recorded SHA-256",
                                expected, found))
    return buffer


def open_verified(attachment: Attachment) -> IO[bytes]:
    """A dossier's file, read once and checked against its ``attach`` event and its row (see the module)."""
    event = attach_event(attachment)
    agency = (event.dossier.current_agency_id or event.dossier.receiving_agency_id) if event is not None else None
    subject = Subject(AlertSubject.ATTACHMENT, attachment.pk, attachment.dossier_id, agency)
    return open_checked(attachment.file, attachment.sha256, subject, chain_problem(attachment, event))


def read_verified(attachment: Attachment) -> bytes:
    with open_verified(attachment) as handle:
        return handle.read()


def alert(subject: Subject, path: str, problem: str, expected: str, found: str) -> IntegrityAlert:
    """Record that ``path`` is not what was stored (once, until resolved), log it at ERROR and tell staff after
    the commit (``integrity_alert``)."""
    logger.error("integrity: %s %s (%s): %s; expected %s, found %s", subject.kind, subject.object_id, path,
                 problem, expected or "-", found or "-")
    open_alert = IntegrityAlert.objects.filter(subject=subject.kind, object_id=subject.object_id, path=path[:300],
                                               problem=problem, found=found, resolved_at__isnull=True).first()
    if open_alert is not None:
        return open_alert
    created = IntegrityAlert.objects.create(
        subject=subject.kind, object_id=subject.object_id, path=path[:300], dossier_id=subject.dossier_id,
        agency_id=subject.agency_id, problem=problem, expected=expected[:64], found=found[:64],
    )
    transaction.on_commit(lambda: _announce(created))
    return created


def _announce(created: IntegrityAlert) -> None:
    for receiver, result in integrity_alert.send_robust(sender=IntegrityAlert, alert=created):
        if isinstance(result, Exception):
            logger.error("integrity_alert receiver %r failed for alert %s", receiver, created.pk, exc_info=result)


# --- verify_audit: every stored file -----------------------------------------------------------------------------

Progress = Callable[[int], None] | None
# Checks of other apps' stored files (the data warehouse registers its own), run by ``verify_audit``.
stored_file_checks: list[Callable[[Progress], Iterator[Finding]]] = []


def check_stored(field: Any, expected: str, subject: Subject, problem: str = "") -> str:
    """What is wrong with a stored file (empty: nothing), read in chunks; a problem is also an alert."""
    name = field.name or ""
    found = digest_of(field.storage, name) if name else None
    if found is None:
        problem = problem or "the stored file is missing"
    elif found != expected and not problem:
        problem = "the stored bytes differ from the recorded SHA-256"
    if problem:
        alert(subject, name, problem, expected, found or "")
    return problem


def verify_files(batch: int = 500, progress: Progress = None) -> Iterator[Finding]:
    """Every dossier file against the SHA-256 of its ``attach`` event and of its row, and present."""
    last_id = 0
    checked = 0
    while True:
        attachments = list(Attachment.objects.filter(pk__gt=last_id).select_related("dossier").order_by("pk")[:batch])
        if not attachments:
            break
        events: dict[int, Event] = {}
        for event in Event.objects.filter(dossier_id__in={a.dossier_id for a in attachments},
                                          action=EventKind.ATTACH).select_related("dossier").order_by("seq"):
            events.setdefault(event.data.get("attachment"), event)
        for item in attachments:
            dossier = item.dossier
            subject = Subject(AlertSubject.ATTACHMENT, item.pk, dossier.pk,
                              dossier.current_agency_id or dossier.receiving_agency_id)
            problem = check_stored(item.file, item.sha256, subject, chain_problem(item, events.get(item.pk)))
            if problem:
                yield Finding(dossier.code, f"file #{item.pk} ({item.original_name}, {item.file.name}): {problem}")
        checked += len(attachments)
        last_id = attachments[-1].pk
        if progress:
            progress(checked)
    for check in stored_file_checks:
        yield from check(progress)
