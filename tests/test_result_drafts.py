"""The draft of the result in the workspace: the processing officer holding the dossier generates it from a
result template and uploads a corrected one; the leader sees the latest at the next step; the applicant never
sees a draft (portal pages and files)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from motcua.catalog.models import ProcedureVersion, ResultTemplate
from motcua.core.errors import MotCuaError
from motcua.dossiers import services
from motcua.dossiers.models import Attachment, AttachmentKind, Dossier, Event
from motcua.dossiers.statuses import EventKind
from tests.factories import MONDAY, World, act, citizen_user, owned, pdf_bytes, sign_in

pytestmark = pytest.mark.django_db


def vi(text: str) -> str:
    """``text`` as the Vietnamese pages show it."""
    with translation.override("vi"):
        return translation.gettext(text)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def templates() -> list[ResultTemplate]:
    version = ProcedureVersion.objects.get(procedure__code="1.000894")
    result = version.results.first()
    made = []
    for name, body in (
        ("Giấy chứng nhận kết hôn", "<h1>GIẤY CHỨNG NHẬN KẾT HÔN</h1><p>Cấp cho {{ applicant.name }}</p>"),
        ("Bản sao", "<h1>BẢN SAO</h1><p>{{ applicant.name }} — {{ dossier.code }}</p>"),
    ):
        item = ResultTemplate(version=version, result=result, name=name, body=body)
        item.full_clean()
        item.save()
        made.append(item)
    return made


def in_progress(world: World, user: Any = None) -> Dossier:
    """A dossier of ``user`` (a citizen) transferred to the processing step of the commune's committee."""
    dossier = owned(world, user or citizen_user())
    return act(world, dossier, "transfer", "tiepnhan", MONDAY + timedelta(hours=1))


def client_for(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def page(client: Client, dossier: Dossier) -> str:
    response = client.get(reverse("workspace:dossier", args=[dossier.code]))
    assert response.status_code == 200
    return response.content.decode()


def drafts(dossier: Dossier) -> list[Attachment]:
    return list(Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.DRAFT).order_by("pk"))


def test_the_officer_drafts_corrects_and_the_leader_sees_the_latest_draft() -> None:
    world = World()
    first, second = templates()
    dossier = in_progress(world)
    officer = client_for(world, "chuyenvien")
    html = page(officer, dossier)
    assert 'id="generate-draft"' in html and vi("No draft yet.") in html
    assert f'<option value="{second.pk}">Bản sao</option>' in html  # several templates: the officer chooses

    response = officer.post(reverse("workspace:draft_result", args=[dossier.code]), {"template": first.pk},
                            follow=True)
    assert response.status_code == 200
    [draft] = drafts(dossier)
    assert draft.original_name.endswith(".pdf") and draft.content_type == "application/pdf"
    text = PdfReader(draft.file.open("rb")).pages[0].extract_text()
    assert "GIẤY CHỨNG NHẬN KẾT HÔN" in text and "Nguyễn Văn An" in text
    event = Event.objects.filter(dossier=dossier, action=EventKind.ATTACH).latest("seq")
    assert event.data["kind"] == "draft" and event.data["template"] == first.pk and event.data["sha256"] == draft.sha256
    assert 'id="latest-draft"' in response.content.decode()

    corrected = SimpleUploadedFile("ban-da-sua.pdf", pdf_bytes("bản đã sửa"), content_type="application/pdf")
    officer.post(reverse("workspace:upload_draft", args=[dossier.code]), {"draft_file": corrected},
                 headers={"HX-Request": "true"})
    latest = drafts(dossier)[-1]
    assert latest.original_name == "ban-da-sua.pdf" and len(drafts(dossier)) == 2

    act(world, dossier, "forward", "chuyenvien", MONDAY + timedelta(hours=2))
    leader = client_for(world, "lanhdao")
    html = page(leader, dossier)
    assert reverse("workspace:attachment", args=[dossier.code, latest.pk]) in html
    assert 'id="generate-draft"' not in html and 'id="upload-draft"' not in html  # not theirs to draft
    download = leader.get(reverse("workspace:attachment", args=[dossier.code, latest.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_only_the_officer_holding_the_dossier_drafts_it() -> None:
    world = World()
    first, _ = templates()
    dossier = in_progress(world)
    for who in ("lanhdao", "tiepnhan"):
        with pytest.raises(MotCuaError) as caught:
            services.draft_result(dossier.code, actor=world.actor(who), template_id=first.pk)
        assert caught.value.code in ("not_yours_to_draft", "not_your_dossier")
        with pytest.raises(MotCuaError):
            services.attach(dossier.code, actor=world.actor(who), file=io.BytesIO(pdf_bytes()), name="d.pdf",
                            kind=AttachmentKind.DRAFT)
    response = client_for(world, "lanhdao").post(reverse("workspace:draft_result", args=[dossier.code]),
                                                 {"template": first.pk}, follow=True)
    assert vi("Only the processing officer handling this dossier drafts its result, while it is in progress at "
              "their step.") in response.content.decode()
    act(world, dossier, "forward", "chuyenvien", MONDAY + timedelta(hours=2))
    with pytest.raises(MotCuaError):  # the dossier moved on: no more drafting by the officer
        services.draft_result(dossier.code, actor=world.actor("chuyenvien"), template_id=first.pk)
    assert drafts(dossier) == []


def test_a_template_of_another_procedure_or_a_bad_upload_is_refused() -> None:
    world = World()
    templates()
    other = ProcedureVersion.objects.get(procedure__code="2.000488")
    foreign = ResultTemplate.objects.create(version=other, name="Phiếu", body="<p>{{ applicant.name }}</p>")
    dossier = in_progress(world)
    with pytest.raises(MotCuaError) as caught:
        services.draft_result(dossier.code, actor=world.actor("chuyenvien"), template_id=foreign.pk)
    assert caught.value.code == "template_not_found"
    officer = client_for(world, "chuyenvien")
    not_pdf = SimpleUploadedFile("ban-da-sua.pdf", b"not a pdf at all", content_type="application/pdf")
    response = officer.post(reverse("workspace:upload_draft", args=[dossier.code]), {"draft_file": not_pdf},
                            follow=True)
    assert response.status_code == 200 and drafts(dossier) == []


def test_the_applicant_never_sees_a_draft() -> None:
    world = World()
    first, _ = templates()
    user = citizen_user()
    dossier = in_progress(world, user)
    draft = services.draft_result(dossier.code, actor=world.actor("chuyenvien"), template_id=first.pk)
    client = Client()
    sign_in(client, user.citizen)
    html = client.get(reverse("portal:my_dossier", args=[dossier.code])).content.decode()
    assert draft.original_name not in html
    assert reverse("portal:my_file", args=[dossier.code, draft.pk]) not in html
    assert client.get(reverse("portal:my_file", args=[dossier.code, draft.pk])).status_code == 404
