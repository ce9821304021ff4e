"""Query budgets: every list, queue and page that lists costs as many queries for 50 rows as for 1.

Each test builds one row (with ``tests.factories``), counts the queries of the page, builds 49 more, counts again
and asserts the two counts are equal and that the rows are on the page. A per-row query (an N+1) makes the second
count larger; django-zeal (``conftest.py``) names the line, this file proves the whole page is flat.

The pages are named by their URL names (``workspace:home``, ``portal:my_dossiers``…), so a view that moves to
another module keeps being measured; the API endpoints by their paths.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from motcua.agencies.models import Agency, AgencyKind
from motcua.api.auth import issue_token
from motcua.catalog.services import import_catalog
from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Dossier
from motcua.dossiers.services.certification import certify_copy
from motcua.dossiers.statuses import Status
from tests.factories import (
    MONDAY,
    World,
    catalog,
    dossiers,
    make_citizen,
    payment,
    pdf_bytes,
    petition,
    procedure,
    rating,
    receive,
    returned,
    sign_in,
    stored_document,
)

pytestmark = pytest.mark.django_db

DOSSIER_CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.H22-\d{6}-\d{4}")


def count_queries(client: Client, url: str) -> tuple[int, str]:
    """The queries of one GET of ``url`` (after a first GET: what any first request does once, such as loading a
    cache, is not the list's), and the page's text."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response: HttpResponse = client.get(url)
    assert response.status_code == 200, response.content.decode()[:2000]
    return len(captured), response.content.decode()


def flat(client: Client, url: str, more: Callable[[], Any], rows: Callable[[str], int]) -> int:
    """Assert that ``url`` costs the same queries before and after ``more()`` adds 49 rows; return the count."""
    one, page = count_queries(client, url)
    before = rows(page)
    assert before >= 1, page[:3000]
    more()
    many, page = count_queries(client, url)
    assert rows(page) > before, "the rows added are not on the page: the budget measured nothing"
    assert many == one, f"{url}: {one} queries for 1 row, {many} for 50"
    print(f"query budget {url}: {many}")
    return many


def codes_on(page: str) -> int:
    return len(set(DOSSIER_CODE.findall(page)))


def staff(world: World, username: str, *, token: bool = False) -> Client:
    if token:
        return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users[username])}")
    client = Client()
    client.force_login(world.users[username])
    return client


# --- staff workspace: the queues (workspace:home?queue=…) ----------------------------------------------------

def _due(hours: float) -> Callable[[], None]:
    def move() -> None:
        Dossier.objects.update(due_at=timezone.now() + timedelta(hours=hours))
    return move


def _returned_now() -> None:
    Dossier.objects.update(status=Status.RETURNED, returned_at=timezone.now())


QUEUE_SETUP: dict[str, tuple[str, Callable[[], None] | None]] = {
    # queue name: (who looks at it, what puts the dossiers in it)
    "todo": ("tiepnhan", None),
    "due_soon": ("tiepnhan", _due(1)),
    "overdue": ("tiepnhan", _due(-48)),
    "returned_today": ("tiepnhan", _returned_now),
    "mine": ("chuyenvien", None),
}


@pytest.mark.parametrize("queue", list(QUEUE_SETUP))
def test_workspace_queue(world: World, queue: str) -> None:
    """URL name workspace:home with ?queue= each of dossiers.selectors.QUEUES (25 rows a page)."""
    username, setup = QUEUE_SETUP[queue]

    def place() -> None:
        if queue == "mine":
            Dossier.objects.update(assignee=world.users["chuyenvien"])
        if setup is not None:
            setup()

    receive(world)
    place()

    def more() -> None:
        dossiers(world, 49)
        place()

    flat(staff(world, username), reverse("workspace:home") + f"?queue={queue}", more, codes_on)


def test_workspace_dossier_page_lists_receipts(world: World) -> None:
    """URL name workspace:dossier: the receipts of the dossier's payments (payments' staff panel), its events."""
    dossier = receive(world)
    payment(dossier)
    flat(staff(world, "tiepnhan"), reverse("workspace:dossier", args=[dossier.code]),
         lambda: [payment(dossier) for _ in range(49)], lambda page: page.count("BL-"))


def test_workspace_dossier_page_lists_digitized_files_and_certified_copies(world: World, settings: Any,
                                                                         tmp_path: Path) -> None:
    """URL name workspace:dossier: each component file with its digitization, each certified copy."""
    settings.MEDIA_ROOT = tmp_path / "media"
    dossier = receive(world)
    officer = world.actor("tiepnhan")

    def scans(count: int) -> list[Any]:
        return dossier_services.attach_files(dossier.code, actor=officer, files=[
            dossier_services.NewFile(io.BytesIO(pdf_bytes(f"scan {n}")), f"scan-{n}.pdf", "scan", 1)
            for n in range(count)])

    first = scans(1)[0]
    certify_copy(dossier.code, actor=officer, attachment=first.pk)

    def more() -> None:
        for scan in scans(49)[:3]:
            certify_copy(dossier.code, actor=officer, attachment=scan.pk)

    flat(staff(world, "tiepnhan"), reverse("workspace:dossier", args=[dossier.code]), more,
         lambda page: page.count('id="digitization-') + page.count('id="certification-'))


def test_staff_petition_list(world: World) -> None:
    """URL name feedback_staff:petitions."""
    petition(world)
    flat(staff(world, "tiepnhan"), reverse("feedback_staff:petitions"),
         lambda: [petition(world, answered_by="") for _ in range(49)], lambda page: page.count("Góp ý số"))


def test_staff_ratings_page(world: World) -> None:
    """URL name feedback_staff:ratings (the latest ratings of the officer's agencies)."""
    rating(world.commune)
    flat(staff(world, "tiepnhan"), reverse("feedback_staff:ratings"),
         lambda: [rating(world.commune, score=1 + i % 5) for i in range(49)], lambda page: page.count("Nhanh."))


# --- the citizen's pages -----------------------------------------------------------------------------------------

def test_citizen_dossier_list(world: World) -> None:
    """URL name portal:my_dossiers."""
    citizen = make_citizen()
    dossiers(world, 1, applicant_user=citizen.user)
    client = Client()
    sign_in(client, citizen)
    flat(client, reverse("portal:my_dossiers"), lambda: dossiers(world, 49, applicant_user=citizen.user), codes_on)


def test_citizen_dossier_page_lists_receipts(world: World) -> None:
    """URL name portal:my_dossier: the receipts of the dossier's payments (payments' applicant panel)."""
    citizen = make_citizen()
    [dossier] = dossiers(world, 1, applicant_user=citizen.user)
    payment(dossier, payer=citizen.user)
    client = Client()
    sign_in(client, citizen)
    flat(client, reverse("portal:my_dossier", args=[dossier.code]),
         lambda: [payment(dossier, payer=citizen.user) for _ in range(49)], lambda page: page.count("BL-"))


def test_citizen_data_warehouse(world: World) -> None:
    """URL name portal:warehouse (the documents the state keeps for the citizen)."""
    citizen = make_citizen()
    [dossier] = dossiers(world, 1, applicant_user=citizen.user)

    def more() -> None:
        for n in range(49):
            stored_document(citizen.user, dossier=dossier, verified_by=world.commune, title=f"Giấy tờ thử {n}")

    stored_document(citizen.user, dossier=dossier, verified_by=world.commune, title="Giấy tờ thử đầu")
    client = Client()
    sign_in(client, citizen)
    flat(client, reverse("portal:warehouse"), more, lambda page: page.count("Giấy tờ thử"))


# --- public pages: the catalogue, the agencies, tracking, published petitions -------------------------------------

def _procedures(center: Agency, numbers: range, **overrides: Any) -> None:
    import_catalog(catalog(*[
        procedure(f"3.{n:06d}", name_vi=f"Thủ tục thử số {n}", name_en=f"Test procedure {n}",
                  agencies=[center.identifier_code], **overrides)
        for n in numbers
    ]))


CATALOGUE_PAGES = {
    # URL name: (its arguments, its query)
    "portal:home": ([], ""),
    "portal:search": ([], "?q=thu+tuc+thu"),
    "portal:agency": (["000.00.01.H22"], ""),
    "portal:agency_print": (["000.00.01.H22"], ""),
}


@pytest.mark.parametrize("name", list(CATALOGUE_PAGES))
def test_catalogue_page(center: Agency, name: str) -> None:
    """The procedures a catalogue page lists (home lists the fields in use and the service points)."""
    args, query = CATALOGUE_PAGES[name]
    _procedures(center, range(1, 2))
    rows: Callable[[str], int] = lambda page: page.count("Thủ tục thử số")  # noqa: E731
    if name == "portal:home":  # the fields in use: each new procedure has its own

        def more() -> None:
            import_catalog({**catalog(), "fields": [
                {"code": f"F{n}", "name_vi": f"Lĩnh vực thử {n}", "name_en": f"Field {n}"} for n in range(2, 51)
            ], "procedures": [procedure(f"3.{n:06d}", field=f"F{n}", name_vi=f"Thủ tục thử số {n}",
                                        agencies=[center.identifier_code]) for n in range(2, 51)]})

        rows = lambda page: page.count("Lĩnh vực thử") + page.count("Hộ tịch")  # noqa: E731
    else:

        def more() -> None:
            _procedures(center, range(2, 51))

    flat(Client(), reverse(name, args=args) + query, more, rows)


@pytest.mark.parametrize("query", ["", "?field=HT"])
def test_boundary_free_list(center: Agency, query: str) -> None:
    """URL name portal:boundary_free (the procedures received regardless of administrative boundaries)."""
    _procedures(center, range(1, 2), boundary_free=True)
    flat(Client(), reverse("portal:boundary_free") + query,
         lambda: _procedures(center, range(2, 51), boundary_free=True), lambda page: page.count("Thủ tục thử số"))


def test_catalogue_search_of_boundary_free_procedures(center: Agency) -> None:
    """URL name portal:search with the boundary-free filter."""
    _procedures(center, range(1, 2), boundary_free=True)
    flat(Client(), reverse("portal:search") + "?q=thu+tuc+thu&boundary_free=1",
         lambda: _procedures(center, range(2, 51), boundary_free=True), lambda page: page.count("Thủ tục thử số"))


def test_agency_list(center: Agency) -> None:
    """URL name portal:agencies (the service points)."""

    def more() -> None:
        for n in range(49):
            Agency.objects.create(identifier_code=f"000.30.{n:02d}.H22", name=f"Điểm tiếp nhận thử {n}",
                                  kind=AgencyKind.COMMUNE_ONE_STOP, unit=center.unit)

    flat(Client(), reverse("portal:agencies"), more,
         lambda page: page.count("Điểm tiếp nhận thử") + page.count(center.name))


def test_public_tracking_lists_the_milestones(world: World) -> None:
    """URL name portal:track: a dossier just received and the same dossier returned (more milestones)."""
    dossier = receive(world)
    url = reverse("portal:track") + f"?ma={dossier.code}"
    flat(Client(), url, lambda: returned(world, dossier), lambda page: page.count("<li"))


def test_published_petitions(world: World) -> None:
    """URL name feedback:published."""
    petition(world, published=True)
    flat(Client(), reverse("feedback:published"), lambda: [petition(world, published=True) for _ in range(49)],
         lambda page: page.count("Góp ý số"))


# --- the API's lists ----------------------------------------------------------------------------------------------

def test_api_procedure_search(center: Agency) -> None:
    """GET /api/v1/procedures (catalog.api.search)."""
    _procedures(center, range(1, 2))
    flat(Client(), "/api/v1/procedures?q=thu+tuc+thu&limit=100", lambda: _procedures(center, range(2, 51)),
         lambda page: page.count('"code"'))


def test_api_dossier_list(world: World) -> None:
    """GET /api/v1/dossiers (dossiers.api.list_dossiers)."""
    receive(world)
    flat(staff(world, "tiepnhan", token=True), "/api/v1/dossiers?limit=100", lambda: dossiers(world, 49), codes_on)


def test_api_dossier_events(world: World) -> None:
    """GET /api/v1/dossiers/{code}/events: a dossier just received and the same dossier returned."""
    dossier = receive(world, MONDAY)
    flat(staff(world, "tiepnhan", token=True), f"/api/v1/dossiers/{dossier.code}/events",
         lambda: returned(world, dossier), lambda page: page.count('"hash"'))


def test_api_public_tracking(world: World) -> None:
    """GET /api/v1/track/{code}: the milestones of a dossier just received, then returned."""
    dossier = receive(world)
    flat(Client(), f"/api/v1/track/{dossier.code}", lambda: returned(world, dossier),
         lambda page: page.count('"at"'))


# --- the administration -------------------------------------------------------------------------------------------

def test_admin_procedure_list(center: Agency, admin_client: Client) -> None:
    """URL name admin:catalog_procedure_changelist (each row shows the name of the version in force)."""
    _procedures(center, range(1, 2))
    flat(admin_client, reverse("admin:catalog_procedure_changelist"), lambda: _procedures(center, range(2, 51)),
         lambda page: page.count("Thủ tục thử số"))


# --- the public verification of results (portal:verify) --------------------------------------------------------

def test_a_register_number_several_agencies_issued_is_one_flat_list(world: World) -> None:
    """URL name portal:verify?ma=<number>: the agencies whose book has the number, without reading their files."""
    from motcua.dossiers.models import Attachment, IssuedResult  # noqa: PLC0415

    [dossier] = dossiers(world, 1)
    attachment = Attachment.objects.create(dossier=dossier, kind="result", file="kq.pdf", original_name="kq.pdf",
                                           content_type="application/pdf", size=1, sha256="0" * 64)

    def issue(agency: Agency) -> None:
        IssuedResult.objects.create(dossier=dossier, attachment=attachment, name="Giấy phép", agency=agency,
                                    book="GP", year=2026, number=7, issued_at=timezone.now(), sha256="0" * 64)

    for agency in Agency.objects.order_by("pk")[:2]:
        issue(agency)
    url = reverse("portal:verify") + "?ma=7/2026/GP"
    few, page = count_queries(Client(), url)
    assert page.count('data-verdict="choose"') == 2
    for n in range(8):
        issue(Agency.objects.create(identifier_code=f"000.09.{n:02d}.H22", name=f"UBND xã thử {n}",
                                    kind=AgencyKind.PEOPLE_COMMITTEE, unit=world.commune.unit))
    many, page = count_queries(Client(), url)
    assert page.count('data-verdict="choose"') == 10  # at most ten answers to one typed number
    assert many == few, f"{url}: {few} queries for 2 agencies, {many} for 10"
