"""Integrity of everything stored (issue 11, part 5): a stored file altered or lost is never served — the citizen
sees an error page, staff get an alert — and ``verify_audit`` reports it; the event table refuses UPDATE and
DELETE in the database itself."""

from __future__ import annotations

import contextlib
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from motcua.core.uploads import CheckedFile
from motcua.documents.models import StoredDocument
from motcua.dossiers import services as dossier_services
from motcua.dossiers.integrity import FileAltered, open_verified
from motcua.dossiers.models import AlertSubject, Attachment, AttachmentKind, Dossier, Event, IntegrityAlert
from motcua.notifications.models import Notification
from tests.factories import (
    MONDAY,
    World,
    citizen_user,
    deliver_notifications,
    owned,
    pay,
    pdf_bytes,
    receive,
    through_processing,
)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ADMINS = [("", "admin@motcua.example")]
    return tmp_path / "media"


def issued_to_citizen(world: World) -> tuple[Dossier, Attachment, Client]:
    """A dossier of a citizen's account whose result is issued and paid for, and the citizen's signed-in client."""
    user = citizen_user()
    dossier = through_processing(world, owned(world, user), MONDAY)
    pay(dossier, world.actor("tiepnhan"), MONDAY)
    result = Attachment.objects.get(dossier=dossier, kind=AttachmentKind.RESULT)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return dossier, result, client


def audit_findings(capsys: Any) -> str:
    with pytest.raises(SystemExit) as stopped:
        call_command("verify_audit", "--quiet")
    assert stopped.value.code == 1
    return str(capsys.readouterr().out)


def audit_output(capsys: Any) -> str:
    with contextlib.suppress(SystemExit):
        call_command("verify_audit", "--quiet")
    return str(capsys.readouterr().out)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


def test_one_byte_appended_to_a_result_is_refused_alerted_and_reported(world: World, media: Path,
                                                                        capsys: Any) -> None:
    world.commune.email = "hatu@motcua.example"
    world.commune.save()
    dossier, result, citizen = issued_to_citizen(world)
    address = reverse("portal:my_file", args=[dossier.code, result.pk])
    served = citizen.get(address)
    original = body(served)
    assert served.status_code == 200 and original.startswith(b"%PDF")
    assert hashlib.sha256(original).hexdigest() == result.sha256
    assert "file #" not in audit_output(capsys)  # (``owned`` set the account on the row, outside the log)

    stored = media / result.file.name
    stored.write_bytes(stored.read_bytes() + b"\n")  # one byte appended in storage
    altered = hashlib.sha256(stored.read_bytes()).hexdigest()

    refused = citizen.get(address)
    page = refused.content.decode()
    assert refused.status_code == 500 and not refused.streaming
    assert 'data-code="file_altered"' in page and b"%PDF" not in refused.content
    alert = IntegrityAlert.objects.get()
    assert (alert.subject, alert.object_id, alert.dossier_id) == (AlertSubject.ATTACHMENT, result.pk, dossier.pk)
    assert (alert.expected, alert.found, alert.resolved_at) == (result.sha256, altered, None)
    assert alert.agency_id == dossier.current_agency_id

    # the administrators and the agency are mailed through the notifications' delivery, once per altered file
    assert citizen.get(address).status_code == 500
    assert IntegrityAlert.objects.count() == 1
    deliver_notifications()
    mailed = sorted(to for message in mail.outbox for to in message.to)
    assert mailed == ["admin@motcua.example", "hatu@motcua.example"]
    assert dossier.code in mail.outbox[0].subject and altered in mail.outbox[0].body
    assert Notification.objects.filter(template="integrity_alert").count() == 2

    # staff are refused the altered bytes too
    staff = Client()
    staff.force_login(world.users["tiepnhan"])
    refused = staff.get(reverse("workspace:attachment", args=[dossier.code, result.pk]))
    assert refused.status_code == 500 and b"%PDF" not in refused.content

    out = audit_findings(capsys)
    assert f"{dossier.code}: file #{result.pk}" in out and "differ from the recorded SHA-256" in out

    stored.write_bytes(original)  # restored from a backup: served again
    assert body(citizen.get(address)) == original
    assert "file #" not in audit_output(capsys)


def test_a_missing_file_is_reported_and_not_served(world: World, media: Path, capsys: Any) -> None:
    dossier, result, citizen = issued_to_citizen(world)
    (media / result.file.name).unlink()
    refused = citizen.get(reverse("portal:my_file", args=[dossier.code, result.pk]))
    assert refused.status_code == 500 and 'data-code="file_altered"' in refused.content.decode()
    assert IntegrityAlert.objects.get().problem == "the stored file is missing"
    out = audit_findings(capsys)
    assert f"file #{result.pk}" in out and "missing" in out


def test_a_row_or_attach_event_that_no_longer_agree_are_refused(world: World, media: Path) -> None:
    dossier, result, _citizen = issued_to_citizen(world)
    # someone "fixes" the row's hash to match altered bytes: the chain's attach event still says otherwise
    stored = media / result.file.name
    stored.write_bytes(stored.read_bytes() + b"x")
    Attachment.objects.filter(pk=result.pk).update(sha256=hashlib.sha256(stored.read_bytes()).hexdigest())
    result.refresh_from_db()
    with pytest.raises(FileAltered):
        open_verified(result)
    assert "does not have the SHA-256 its attach event" in IntegrityAlert.objects.get().problem
    assert dossier.event_count == Event.objects.filter(dossier=dossier).count()


def test_a_file_that_changed_since_it_was_checked_is_not_stored(world: World, media: Path) -> None:
    dossier = receive(world)
    content = pdf_bytes("tờ khai")
    checked_before = CheckedFile("application/pdf", len(content), hashlib.sha256(b"another file").hexdigest())
    with pytest.raises(FileAltered):
        dossier_services.attach(dossier.code, actor=world.actor("tiepnhan"), file=io.BytesIO(content),
                                name="to-khai.pdf", checked=checked_before)
    assert not Attachment.objects.filter(dossier=dossier).exists()
    assert not [path for path in media.rglob("*") if path.is_file()]


def test_an_altered_warehouse_document_is_refused_and_reported(world: World, media: Path, capsys: Any,
                                                                django_capture_on_commit_callbacks: Any) -> None:
    user = citizen_user()
    with django_capture_on_commit_callbacks(execute=True):  # the result lands in the data warehouse on commit
        dossier = through_processing(world, owned(world, user), MONDAY)
    document = StoredDocument.objects.get(owner=user)
    assert document.source_dossier_id == dossier.pk
    citizen = Client()
    citizen.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    address = reverse("portal:warehouse_file", args=[document.pk])
    assert body(citizen.get(address)).startswith(b"%PDF")

    stored = media / document.file.name
    stored.write_bytes(b"%PDF-1.7 forged")
    refused = citizen.get(address)
    assert refused.status_code == 500 and b"forged" not in refused.content
    archive = citizen.get(reverse("portal:warehouse_archive"))
    assert archive.status_code == 500 and b"forged" not in archive.content
    alert = IntegrityAlert.objects.get()
    assert (alert.subject, alert.object_id, alert.dossier_id) == (AlertSubject.DOCUMENT, document.pk, dossier.pk)
    out = audit_findings(capsys)
    assert f"data-warehouse document #{document.pk}" in out

    stored.unlink()
    assert "missing" in audit_findings(capsys)


def test_the_archive_holds_the_checked_documents(world: World, media: Path,
                                                 django_capture_on_commit_callbacks: Any) -> None:
    user = citizen_user()
    with django_capture_on_commit_callbacks(execute=True):
        through_processing(world, owned(world, user), MONDAY)
    document = StoredDocument.objects.get(owner=user)
    citizen = Client()
    citizen.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    archive = citizen.get(reverse("portal:warehouse_archive"))
    with zipfile.ZipFile(io.BytesIO(archive.content)) as unpacked:
        kept = [name for name in unpacked.namelist() if name.startswith("tai-lieu/")]
        assert hashlib.sha256(unpacked.read(kept[0])).hexdigest() == document.sha256


def test_the_database_refuses_to_update_or_delete_events(world: World) -> None:
    dossier = receive(world)
    table = Event._meta.db_table
    for statement in (f"UPDATE {table} SET note = 'sửa' WHERE dossier_id = %s",  # noqa: S608
                      f"DELETE FROM {table} WHERE dossier_id = %s"):  # noqa: S608
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement, [dossier.pk])
    assert [e.note for e in Event.objects.filter(dossier=dossier)] == [""] * dossier.event_count
    # appending still works
    dossier_services.attach(dossier.code, actor=world.actor("tiepnhan"), file=io.BytesIO(pdf_bytes()),
                            name="scan.pdf")
    assert Event.objects.filter(dossier=dossier).count() == dossier.event_count + 1


@pytest.mark.django_db(transaction=True)
def test_the_triggers_hold_in_autocommit_and_a_test_database_is_still_emptied(world: World) -> None:
    """Outside any transaction too; and emptying the database after this test (SQLite: DELETE, with the triggers
    dropped and created again in the same transaction; PostgreSQL: TRUNCATE) still works."""
    dossier = receive(world)
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Event._meta.db_table} WHERE dossier_id = %s", [dossier.pk])  # noqa: S608
    assert Event.objects.filter(dossier=dossier).count() == dossier.event_count
