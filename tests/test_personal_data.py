"""Least privilege on personal data: the roles that handle a dossier see the applicant's ID number and contacts
whole; a supervisor and a catalogue administrator of an involved agency see them masked — in the workspace, the
API and the slips — and every opening is still logged."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from pypdf import PdfReader

from motcua.agencies.models import Membership, Role
from motcua.api.auth import issue_token
from motcua.core.identity import mask, masked_personal_data
from motcua.dossiers import selectors, services
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier, DossierAccess
from tests.factories import World

APPLICANT = {"name": "Nguyễn Văn An", "id_number": "001090001245", "phone": "0912345667",
             "email": "an.nguyen@example.vn", "address": "Số 8, tổ 2, phường Hà Tu, tỉnh Quảng Ninh"}
WHOLE = ("001090001245", "0912345667", "an.nguyen@example.vn", "Số 8, tổ 2")
MASKED = ("0010******45", "09******67", "a***@example.vn")


def test_the_masking_helper() -> None:
    assert mask("001090001245", 4, 2) == "0010******45"
    assert mask("0912345667", 2, 2) == "09******67" and mask("", 2, 2) == "" and mask("12", 2, 2) == "**"
    assert masked_personal_data(id_number="0100109106", phone="+84 912 345 667", email="x@y.vn",
                                address="Số 1, Hạ Long") == {
        "id_number": "0100****06", "phone": "09******67", "email": "x***@y.vn", "address": "…, Hạ Long"}


def staff(world: World, username: str, role: str) -> Any:
    user = get_user_model().objects.create_user(username, last_name="Cán bộ", first_name=username)
    Membership.objects.create(user=user, agency=world.commune, role=role)
    return user


@pytest.fixture
def dossier(world: World) -> Dossier:
    created, _new = services.create_dossier(actor=world.actor("tiepnhan"), data={
        "procedure": "1.000894", "channel": "counter", "applicant": APPLICANT, "delivery": "post",
        "delivery_address": "Số 8, tổ 2, phường Hà Tu, tỉnh Quảng Ninh", "components": [{"order": 1, "originals": 1}],
    })
    return created


ROLES = [  # (user, role at the receiving point or None for the fixture's staff, sees whole)
    ("tiepnhan", None, True),  # reception at the receiving point
    ("chuyenvien", None, True),  # processing at the commune's People's Committee (a step's agency)
    ("lanhdao", None, True),  # leader and signer there
    ("giamsat", Role.SUPERVISOR, False),
    ("quantri", Role.CATALOG_ADMIN, False),
]


@pytest.mark.parametrize(("username", "role", "whole"), ROLES)
def test_each_role_sees_what_it_needs(world: World, dossier: Dossier, username: str, role: str | None,
                                      whole: bool) -> None:
    user = staff(world, username, role) if role else world.users[username]
    actor = Actor.for_user(user)
    assert selectors.sees_personal_data(actor, dossier) is whole
    shown, hidden = (WHOLE, MASKED) if whole else (MASKED, WHOLE)

    api = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")
    body = api.get(f"/api/v1/dossiers/{dossier.code}").json()
    text = json.dumps(body, ensure_ascii=False)
    assert body["applicant"]["name"] == "Nguyễn Văn An"
    assert all(value in text for value in shown if "Số" not in value or whole)
    assert not any(value in text for value in hidden)

    page = Client()
    page.force_login(user)
    html = page.get(f"/workspace/dossiers/{dossier.code}/").content.decode()
    assert 'id="applicant-name"' in html
    assert all(value in html for value in shown if "Số" not in value or whole)
    assert not any(value in html for value in hidden)

    pdf = page.get(f"/workspace/dossiers/{dossier.code}/slips/receipt.pdf")
    assert pdf.status_code == 200
    slip = " ".join("".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(b"".join(
        pdf.streaming_content) if pdf.streaming else pdf.content)).pages).split())
    assert (WHOLE[0] in slip) is whole and (MASKED[0] in slip) is not whole
    assert (WHOLE[1] in slip) is whole and ("Số 8, tổ 2" in slip) is whole

    # every opening of the dossier's details is logged, masked or not
    assert set(DossierAccess.objects.filter(dossier=dossier, user=user).values_list("via", flat=True)) >= {
        "api", "slip"}


@pytest.mark.parametrize(("username", "role", "whole"), ROLES)
def test_files_open_only_to_the_handling_roles(world: World, dossier: Dossier, username: str,
                                                              role: str | None, whole: bool) -> None:
    """A scan is personal data in full (an ID card, a birth certificate): the roles that see the applicant masked
    see that a file is there, not its name or content, and the address of the file answers 403."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import pdf_bytes

    scan = services.attach(dossier.code, actor=world.actor("tiepnhan"), kind="scan", component=1,
                           file=SimpleUploadedFile("cccd-nguyen-van-an.pdf", pdf_bytes()),
                           name="cccd-nguyen-van-an.pdf")
    user = staff(world, username, role) if role else world.users[username]
    page = Client()
    page.force_login(user)
    html = page.get(f"/workspace/dossiers/{dossier.code}/").content.decode()
    opened = page.get(f"/workspace/dossiers/{dossier.code}/files/{scan.pk}/")
    assert opened.status_code == (200 if whole else 403)
    assert ("cccd-nguyen-van-an.pdf" in html) is whole
    assert ('id="files-closed"' in html) is not whole
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")
    events = json.dumps(api.get(f"/api/v1/dossiers/{dossier.code}/events").json(), ensure_ascii=False)
    assert ("cccd-nguyen-van-an.pdf" in events) is whole
