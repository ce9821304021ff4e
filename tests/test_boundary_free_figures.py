"""The figures of boundary-free reception: a dossier received at a point of another unit than its competent commune
is a fact *received regardless of boundary*, counted on the supervision board (its drill list and its export) at
the receiving unit, and on the public figures page among all the dossiers received."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from motcua.agencies.models import Membership
from motcua.dossiers.models import Dossier
from motcua.stats import board, public, services
from motcua.stats.models import DossierFact
from motcua.stats.scope import scope_of
from tests.boundary import CAO_XANH, BoundaryWorld
from tests.factories import APPLICANT, receive

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.H22-\d{6}-\d{4}")


@pytest.fixture
def received(db: Any) -> tuple[BoundaryWorld, Dossier, Dossier]:
    world = BoundaryWorld()
    user = get_user_model().objects.create_user("giamsat", password="x", last_name="Giám", first_name="sát")
    Membership.objects.create(user=user, agency=world.center, role="supervisor")
    world.users["giamsat"] = user
    t = timezone.now() - timedelta(minutes=5)
    across = receive(world, t, competent_unit=CAO_XANH)  # at Hà Tu's point, for Cao Xanh
    local = receive(world, t + timedelta(seconds=1))  # at Hà Tu's point, for Hà Tu
    services.refresh(Dossier.objects.values_list("pk", flat=True), force=True)
    return world, across, local


def test_the_fact_says_whether_a_dossier_was_received_regardless_of_boundary(
        received: tuple[BoundaryWorld, Dossier, Dossier]) -> None:
    world, across, local = received
    facts = {f.dossier_id: f for f in DossierFact.objects.all()}
    assert facts[across.pk].across_boundary is True and facts[local.pk].across_boundary is False
    assert facts[across.pk].agency_id == world.cao_xanh_committee.pk  # the competent agency answers for it
    assert facts[across.pk].receiving_agency_id == world.commune.pk


def test_the_board_counts_it_at_the_receiving_unit_with_its_list_and_export(
        received: tuple[BoundaryWorld, Dossier, Dossier]) -> None:
    world, across, local = received
    units = {u.key: u for u in board.board(board.units_of(scope_of(world.actor("giamsat"))))}
    ha_tu, cao_xanh = units[f"u{world.commune.unit_id}"], units[f"u{world.cao_xanh.pk}"]
    assert ha_tu.counts["across_boundary"] == 1 and cao_xanh.counts["across_boundary"] == 0
    assert ha_tu.counts["received"] == 1 and cao_xanh.counts["received"] == 1  # by the competent agency

    chief = Client()
    chief.force_login(world.users["giamsat"])
    page = chief.get(reverse("workspace:stats_board")).content.decode()
    assert 'data-col="across_boundary"' in page
    listed = chief.get(reverse("workspace:stats_dossiers") + f"?unit={ha_tu.key}&col=across_boundary").content
    assert set(CODE.findall(listed.decode())) == {across.code}
    assert APPLICANT["name"] not in listed.decode()  # a supervisor not handling it does not see who applied

    exported = chief.get(reverse("workspace:stats_board") + "?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode().lstrip("\ufeff"))))
    column = rows[0].index(str(board.COLUMNS["across_boundary"]))
    by_unit = {row[0]: row for row in rows[1:]}
    assert by_unit["Phường Hà Tu"][column] == "1" and by_unit["Phường Cao Xanh"][column] == "0"


def test_the_public_figures_show_it_among_all_received_without_personal_data(
        received: tuple[BoundaryWorld, Dossier, Dossier]) -> None:
    _world, across, local = received
    table = next(t for t in public.figures(timezone.localdate()) if t.province == "Quảng Ninh")
    assert table.across[0] == 1 and table.received[0] == 2  # this month
    html = Client().get("/so-lieu/").content.decode()
    section = html[html.index('id="across-1"'):]
    section = section[:section.index("</table>")]
    assert re.search(r'data-col="across">1<', section) and re.search(r'data-col="received">2<', section)
    for secret in (APPLICANT["name"], APPLICANT["id_number"], across.code, local.code):
        assert secret not in html
