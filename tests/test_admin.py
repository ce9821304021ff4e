"""Administration: every list opens, versions in force are read-only, the next version can be drafted."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone, translation

from motcua.catalog.models import ProcedureVersion
from motcua.integrations.dvcqg import sync
from motcua.integrations.models import InboxMessage, MessageKind, OutboxMessage, System
from motcua.integrations.peers import incoming, outgoing

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, imported: dict[str, Any]) -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.invalid", "a-long-password-1")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["catalog/field", "catalog/procedure", "catalog/procedureversion",
                                   "agencies/agency", "agencies/membership", "geo/administrativeunit",
                                   "geo/unitmerge", "core/calendaroverride", "postal/postalservice",
                                   "postal/pickup", "postal/shipment", "postal/carrierupdate",
                                   "postal/handoverbatch", "payments/payment", "payments/refund",
                                   "payments/statementline"])
def test_admin_lists_open_in_vietnamese(admin_client: Client, model: str) -> None:
    response = admin_client.get(f"/admin/{model}/")
    assert response.status_code == 200
    assert '<html lang="vi"' in response.content.decode()


def test_version_in_force_is_read_only_and_next_version_can_be_drafted(admin_client: Client) -> None:
    version = ProcedureVersion.objects.get(procedure__code="1.000894")
    page = admin_client.get(f"/admin/catalog/procedureversion/{version.pk}/change/").content.decode()
    assert 'name="name_vi"' not in page  # shown, not editable
    response = admin_client.post("/admin/catalog/procedureversion/", {
        "action": "draft_next", "_selected_action": [version.pk]}, follow=True)
    assert response.status_code == 200
    draft = ProcedureVersion.objects.get(procedure__code="1.000894", number=2)
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert draft.effective_from == tomorrow and draft.components.count() == 2
    version.refresh_from_db()
    assert version.effective_to == tomorrow
    page = admin_client.get(f"/admin/catalog/procedureversion/{draft.pk}/change/").content.decode()
    assert 'name="name_vi"' in page  # prepared ahead: editable


def test_draft_is_edited_with_checkboxes_and_lines(admin_client: Client) -> None:
    version = ProcedureVersion.objects.get(procedure__code="1.000894")
    admin_client.post("/admin/catalog/procedureversion/", {"action": "draft_next", "_selected_action": [version.pk]})
    draft = ProcedureVersion.objects.get(procedure__code="1.000894", number=2)
    page = admin_client.get(f"/admin/catalog/procedureversion/{draft.pk}/change/").content.decode()
    assert 'type="checkbox" name="channels" value="post_office"' in page and "checked" in page
    assert "Luật Hộ tịch số 60/2014/QH13" in page and "[&quot;" not in page  # lines, not raw JSON
    assert 'name="name_vi"' in page and 'name="processing_days"' in page  # and every other field


def test_saving_an_edited_draft_stores_lists_and_refreshes_what_is_derived(admin_client: Client) -> None:
    from motcua.catalog.admin import VersionForm
    from motcua.catalog.services import draft_next_version, refresh_version

    current = ProcedureVersion.objects.get(procedure__code="1.000894")
    draft = draft_next_version(current, effective_from=timezone.localdate() + timedelta(days=7))
    data = {f: getattr(draft, f) for f in VersionForm.base_fields if hasattr(draft, f)}
    data.update(field=draft.field_id, name_vi="Đăng ký kết hôn (mẫu mới)", channels=["counter", "online"],
                result_delivery=["counter"], legal_basis="Luật Hộ tịch 2014\n\n  Nghị định 118/2025/NĐ-CP  ")
    form = VersionForm(data=data, instance=draft)
    assert form.is_valid(), form.errors
    form.save()
    refresh_version(draft)
    draft.refresh_from_db()
    assert draft.legal_basis == ["Luật Hộ tịch 2014", "Nghị định 118/2025/NĐ-CP"]
    assert draft.channels == ["counter", "online"]
    assert " mau moi " in draft.search_name and draft.content_hash != current.content_hash
    current.refresh_from_db()
    assert current.effective_to == draft.effective_from
    assert not VersionForm(data={**data, "channels": ["by_pigeon"]}, instance=draft).is_valid()


def test_an_e_form_is_edited_as_json_and_checked(admin_client: Client) -> None:
    from motcua.catalog.admin import VersionForm
    from motcua.catalog.services import draft_next_version

    current = ProcedureVersion.objects.get(procedure__code="1.000894")
    draft = draft_next_version(current, effective_from=timezone.localdate() + timedelta(days=7))
    data = {f: getattr(draft, f) for f in VersionForm.base_fields if hasattr(draft, f)}
    data.update(field=draft.field_id, channels=["counter", "online"], result_delivery=["counter"], legal_basis="")
    bad = VersionForm(data={**data, "eform": '[{"name": "Bad Name", "label_vi": "X"}]'}, instance=draft)
    assert not bad.is_valid() and "eform" in bad.errors
    good = VersionForm(data={**data, "eform": '[{"name": "spouse_name", "label_vi": "Họ tên"}]'}, instance=draft)
    assert good.is_valid(), good.errors
    good.save()
    draft.refresh_from_db()
    assert draft.eform[0]["name"] == "spouse_name" and draft.eform[0]["type"] == "text"
    assert VersionForm(data={**data, "eform": ""}, instance=draft).is_valid()  # empty: no e-form


def test_outgoing_messages_show_their_kind_and_system_by_label(admin_client: Client) -> None:
    assert {sync.EVENT, sync.RESULT, outgoing.SEND, outgoing.STATUS, incoming.SEND, incoming.STATUS} <= set(
        MessageKind.values)  # every kind the handlers write has a label
    message = OutboxMessage.objects.create(system=System.PORTAL, kind=sync.EVENT, key="event:X:1")
    InboxMessage.objects.create(sender="01", kind=incoming.SEND, message_id="m-1")
    listing = admin_client.get("/admin/integrations/outboxmessage/").content.decode()
    detail = admin_client.get(f"/admin/integrations/outboxmessage/{message.pk}/change/").content.decode()
    inbox = admin_client.get("/admin/integrations/inboxmessage/").content.decode()
    with translation.override("vi"):
        event, portal = str(MessageKind.EVENT.label), str(System.PORTAL.label)
        sent, claimed = str(MessageKind.SEND.label), str(OutboxMessage._meta.get_field("claimed_until").verbose_name)
    assert event in listing and portal in listing and ">event<" not in listing
    assert event in detail and claimed.capitalize() in detail and "Claimed until" not in detail
    assert sent in inbox
    assert str(message) == f"{portal} · {event} · event:X:1"
