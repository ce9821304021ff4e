"""The e-form is the online dossier's declaration: the wizard does not also ask for a scan of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from motcua.agencies.models import Agency
from motcua.catalog.formats import read_xlsx, write_xlsx
from motcua.catalog.models import Component, ProcedureVersion
from motcua.catalog.services import export_catalog, import_catalog
from motcua.core.errors import ValidationFailed
from motcua.dossiers.models import Attachment, Dossier, DossierComponent
from tests.factories import MARRIAGE, build_hatu, catalog, citizen_user, procedure
from tests.test_portal_wizard import DETAILS, start, step

pytestmark = pytest.mark.django_db

EFORM = [{"name": "spouse_name", "label_vi": "Họ tên bên kia", "required": True}]
FORM = {"form_other_party_name": "Trần Văn Bình", "form_other_party_id_number": "022090005678",
        "form_other_party_birth_date": "02/03/1995", "form_voluntary": "1"}


def with_declaration(**overrides: Any) -> dict[str, Any]:
    record = procedure(eform=EFORM, **overrides)
    record["components"][0]["filled_by_eform"] = True
    return record


def test_the_flag_is_imported_exported_and_kept_through_xlsx(db: Any, center: Any) -> None:
    import_catalog(catalog(with_declaration()))
    assert [c.filled_by_eform for c in Component.objects.order_by("order")] == [True, False]
    exported = export_catalog()
    assert [c["filled_by_eform"] for c in exported["procedures"][0]["components"]] == [True, False]
    document, _locations = read_xlsx(write_xlsx(exported))
    assert import_catalog(document).unchanged == 1


def test_the_flag_needs_an_e_form_and_leaves_older_versions_unchanged(db: Any) -> None:
    record = procedure()
    record["components"][0]["filled_by_eform"] = True
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(catalog(record))
    assert [e.code for e in caught.value.errors] == ["no_eform_to_fill"]
    import_catalog(catalog(procedure()))
    explicit = procedure()
    explicit["components"][0]["filled_by_eform"] = False
    assert import_catalog(catalog(explicit)).unchanged == 1  # the new key does not make new versions


@pytest.fixture
def hatu(db: Any, settings: Any, tmp_path: Any) -> dict[str, Agency]:
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_hatu()


def test_the_wizard_does_not_ask_for_the_declaration_its_e_form_is(hatu: dict[str, Agency]) -> None:
    declaration = Component.objects.get(version__procedure__code=MARRIAGE, order=0)
    assert declaration.filled_by_eform and declaration.version.eform  # as in the demo catalogue
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_user())
    draft = start(client)
    assert client.post(step(draft, "details"), {**DETAILS, **FORM}).status_code == 302
    page = client.get(step(draft, "documents")).content.decode()
    assert "your e-form: no need to attach" in page and 'id="c1-eform"' in page
    response = client.post(step(draft, "documents"), {"continue": "1"})  # nothing attached
    assert response.status_code == 302, response.content.decode()[:3000]
    assert client.post(step(draft, "delivery"), {"delivery": "counter"}).status_code == 302
    assert client.post(step(draft, "review"), {"declare": "1"}).status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.form_data["other_party_name"] == "Trần Văn Bình" and not Attachment.objects.exists()
    first = DossierComponent.objects.get(dossier=dossier, order=1)
    assert first.received and (first.originals, first.copies) == (0, 0)  # it arrived as the e-form's data


def test_the_declaration_is_still_asked_for_when_the_version_has_no_e_form(hatu: dict[str, Agency]) -> None:
    ProcedureVersion.objects.filter(procedure__code=MARRIAGE).update(eform=[])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_user())
    draft = start(client)
    assert client.post(step(draft, "details"), DETAILS).status_code == 302
    response = client.post(step(draft, "documents"), {"continue": "1"})
    assert response.status_code == 422 and "c1-error" in response.content.decode()
