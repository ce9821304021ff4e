"""One user operation, one transaction: a refused operation keeps no row, no event, no number and no file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from motcua.agencies.models import Agency
from motcua.api.auth import issue_token
from motcua.core.errors import MotCuaError, ValidationFailed
from motcua.core.files import atomic_with_files, stored
from motcua.dossiers import services
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Attachment, Dossier, DossierCounter, Event
from motcua.dossiers.services import Conflict
from tests.factories import World, citizen_user
from tests.factories import pdf_bytes as conftest_pdf
from tests.test_portal_wizard import fill, start, step, upload
from tests.test_workspace import (
    CENTER,
    CITIZEN_ID,
    MARRIAGE,
    act,
    build_hatu,
    pdf_bytes,
    receive,
    reception_form,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def hatu(db: Any, media: Path) -> dict[str, Agency]:
    return build_hatu()


def files(media: Path) -> set[str]:
    return {str(path.relative_to(media)) for path in media.rglob("*") if path.is_file()}


def actor(username: str) -> Actor:
    return Actor.for_user(get_user_model().objects.get(username=username))


def awaiting_signature() -> str:
    reception, processing = signed_in("tiepnhan.hatu"), signed_in("chuyenvien.hatu")
    code = receive(reception)
    assert act(reception, code, "transfer").status_code == 302
    assert act(processing, code, "forward").status_code == 302
    return code


def result_pdf(name: str = "giay-chung-nhan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def test_a_refused_issue_result_keeps_neither_its_file_nor_an_attach_event(hatu: dict[str, Agency],
                                                                           media: Path) -> None:
    code = awaiting_signature()
    before, events = files(media), Event.objects.filter(dossier__code=code).count()
    leader = signed_in("lanhdao.hatu")
    # refused after the file was read: the note is too long for the action
    response = act(leader, code, "issue_result", result_file=result_pdf(), note="x" * 2001)
    assert response.status_code == 422
    assert not Attachment.objects.filter(dossier__code=code, kind="result").exists()
    assert Event.objects.filter(dossier__code=code).count() == events
    assert files(media) == before

    stale = Dossier.objects.get(code=code).revision - 1
    with pytest.raises(Conflict):  # a bad revision
        services.issue_result(code, actor=actor("lanhdao.hatu"), file=result_pdf(), name="kq.pdf", revision=stale)
    with pytest.raises(MotCuaError) as refused:  # the state machine: reception does not sign
        services.issue_result(code, actor=actor("tiepnhan.hatu"), file=result_pdf(), name="kq.pdf")
    assert refused.value.status == 403
    assert not Attachment.objects.filter(dossier__code=code, kind="result").exists()
    assert Event.objects.filter(dossier__code=code).count() == events
    assert files(media) == before

    response = act(leader, code, "issue_result", result_file=result_pdf())
    assert response.status_code == 302
    result = Attachment.objects.get(dossier__code=code, kind="result")
    assert files(media) == before | {result.file.name}
    assert list(Event.objects.filter(dossier__code=code).order_by("seq").values_list("action", flat=True))[-2:] == [
        "attach", "issue_result"]


def test_a_counter_reception_whose_scan_fails_records_nothing(hatu: dict[str, Agency], media: Path) -> None:
    data = {
        "procedure": MARRIAGE, "channel": "counter", "receiving_agency": CENTER, "counter": 1,
        "applicant": {"kind": "person", "name": "Nguyễn Thị Hoa", "id_number": CITIZEN_ID, "phone": "0912345678"},
        "components": [{"order": 1, "received": True}, {"order": 2, "received": True}],
        "delivery": "counter",
    }
    scans = {1: SimpleUploadedFile("to-khai.pdf", pdf_bytes()), 9: SimpleUploadedFile("khac.pdf", pdf_bytes())}
    with pytest.raises(MotCuaError) as caught:  # the first scan is stored, the second has no component
        services.receive_at_counter(actor=actor("tiepnhan.hatu"), data=data, scans=scans)
    assert caught.value.code == "unknown_component"
    assert not Dossier.objects.exists() and not Attachment.objects.exists() and not Event.objects.exists()
    assert not DossierCounter.objects.filter(last__gt=0).exists()  # the number was given back
    assert files(media) == set()

    refused = {1: SimpleUploadedFile("to-khai.pdf", b"%PDF-1.4 not really")}
    with pytest.raises(ValidationFailed) as caught:
        services.receive_at_counter(actor=actor("tiepnhan.hatu"), data=data, scans=refused)
    assert [(e.code, e.location) for e in caught.value.errors] == [("file_damaged", "components.0")]
    assert not Dossier.objects.exists() and files(media) == set()

    dossier = services.receive_at_counter(actor=actor("tiepnhan.hatu"), data=data,
                                          scans={1: SimpleUploadedFile("to-khai.pdf", pdf_bytes())})
    assert dossier.code.endswith("-0001")  # no gap
    assert Attachment.objects.get().dossier == dossier and len(files(media)) == 1


def test_the_reception_page_shows_a_refused_scan_on_its_row_and_records_nothing(hatu: dict[str, Agency],
                                                                                media: Path) -> None:
    client = signed_in("tiepnhan.hatu")
    response = client.post("/workspace/receive/", {
        **reception_form(), "c1-scan": SimpleUploadedFile("to-khai.pdf", pdf_bytes()),
        "c2-scan": SimpleUploadedFile("cccd.pdf", b"%PDF-1.4 not really")}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "cccd.pdf looks like a PDF file but cannot be opened" in response.content.decode()
    assert not Dossier.objects.exists() and files(media) == set()
    assert receive(client).endswith("-0001")


def test_a_nested_block_that_rolls_back_deletes_only_its_own_files(media: Path) -> None:
    with atomic_with_files():
        kept = default_storage.save("a.txt", ContentFile(b"a"))
        stored(default_storage, kept)
        with pytest.raises(RuntimeError), atomic_with_files():
            lost = default_storage.save("b.txt", ContentFile(b"b"))
            stored(default_storage, lost)
            raise RuntimeError
    assert files(media) == {kept}
    with pytest.raises(RuntimeError), atomic_with_files():
        stored(default_storage, default_storage.save("c.txt", ContentFile(b"c")))
        raise RuntimeError
    assert files(media) == {kept}


def test_the_api_issues_a_result_with_its_file_in_one_request(hatu: dict[str, Agency], media: Path) -> None:
    code = awaiting_signature()
    before = files(media)
    officer, leader = (Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(get_user_model().objects.get(username=name))}")
                       for name in ("chuyenvien.hatu", "lanhdao.hatu"))
    url = f"/api/v1/dossiers/{code}/result"
    revision = Dossier.objects.get(code=code).revision

    refused = officer.post(url, {"file": SimpleUploadedFile("kq.pdf", pdf_bytes())})  # processing does not sign
    stale = leader.post(url, {"file": SimpleUploadedFile("kq.pdf", pdf_bytes()), "revision": revision - 1})
    assert refused.status_code == 403 and stale.status_code == 409 and stale.json()["error"] == "dossier_changed"
    assert not Attachment.objects.filter(kind="result").exists() and files(media) == before
    assert Dossier.objects.get(code=code).event_count == Event.objects.filter(dossier__code=code).count() == 5

    issued = leader.post(url, {"file": SimpleUploadedFile("kq.pdf", pdf_bytes()), "revision": revision,
                               "note": "đã ký"})
    assert issued.status_code == 200, issued.content
    assert issued.json()["status"] == "result_ready" and "kq.pdf" in [a["name"] for a in issued.json()["attachments"]]
    assert len(files(media)) == len(before) + 1


def test_an_online_supplement_with_a_refused_file_keeps_none_of_its_files(world: World, media: Path) -> None:
    owner = citizen_user()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    draft = start(client)
    fill(client, draft)
    client.post(step(draft, "review"), {"declare": "1"})
    dossier = Dossier.objects.get()
    services.perform(dossier.code, "request_supplement", actor=world.actor("tiepnhan"), params={"missing": [
        {"document": "Tờ khai đăng ký kết hôn", "reason": "Ảnh bị mờ"}, {"document": "Ảnh 4x6", "reason": "Thiếu"}]})
    before, events = files(media), Event.objects.filter(dossier=dossier).count()
    response = client.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {
        "m0": upload("to-khai-ro.pdf", conftest_pdf("rõ")), "m1": upload("anh.pdf", b"%PDF-1.4 not really")})
    assert response.status_code == 422
    assert not Attachment.objects.filter(kind="supplement").exists()
    assert Event.objects.filter(dossier=dossier).count() == events and files(media) == before


def test_attach_files_keeps_all_or_nothing_and_locks_the_dossier_once(hatu: dict[str, Agency], media: Path) -> None:
    reception = signed_in("tiepnhan.hatu")
    code = receive(reception)
    officer = actor("tiepnhan.hatu")
    before, events = files(media), Event.objects.filter(dossier__code=code).count()
    stored_before = Attachment.objects.filter(dossier__code=code).count()
    with pytest.raises(MotCuaError) as refused:  # the second file names a component the procedure does not have
        services.attach_files(code, actor=officer, files=[
            services.NewFile(ContentFile(pdf_bytes()), "a.pdf", component=1),
            services.NewFile(ContentFile(pdf_bytes()), "b.pdf", component=99),
        ])
    assert refused.value.code == "unknown_component"
    assert files(media) == before and Event.objects.filter(dossier__code=code).count() == events
    assert Attachment.objects.filter(dossier__code=code).count() == stored_before

    three = [services.NewFile(ContentFile(pdf_bytes()), f"{n}.pdf", component=1) for n in "abc"]
    one = [services.NewFile(ContentFile(pdf_bytes()), "d.pdf", component=1)]
    with CaptureQueriesContext(connection) as many:
        services.attach_files(code, actor=officer, files=three)
    with CaptureQueriesContext(connection) as single:
        services.attach_files(code, actor=officer, files=one)
    locks = [q["sql"] for q in many.captured_queries if "FOR UPDATE" in q["sql"].upper()]
    assert len(locks) <= 1  # SQLite has no FOR UPDATE; PostgreSQL locks the row once for the three files
    # per file: the attachment and its event, and the chain head moved; the rest is paid once
    per_file = (len(many.captured_queries) - len(single.captured_queries)) / 2
    assert len(many.captured_queries) - 3 * per_file == len(single.captured_queries) - per_file
    assert Attachment.objects.filter(dossier__code=code).count() == stored_before + 4
    assert Event.objects.filter(dossier__code=code).count() == events + 4
