"""The population database at the counter and at the post office (the real simulator process): the officer's
check prefills the form, the dossier is flagged, every look-up is logged with its purpose and who asked; one
person, one account: a dossier filed for a person joins her verified account, at filing or when she signs up."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from motcua.accounts.models import Citizen
from motcua.catalog.models import Component, ProcedureVersion
from motcua.documents.models import StoredDocument
from motcua.dossiers import services as dossier_services
from motcua.dossiers.actors import Actor
from motcua.dossiers.audit import verify_dossier
from motcua.dossiers.models import Dossier, DossierComponent, Event
from motcua.dossiers.statuses import EventKind
from motcua.integrations.models import LookupOutcome, LookupPurpose, PopulationLookup
from motcua.integrations.population import people
from motcua.portal import services as portal_services
from motcua.stats.facts import build_many
from tests.factories import World, make_citizen, pdf_bytes, sign_in
from tests.population_sim import PopulationSim, population_fixture, population_sim_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

HUONG, MINH = people.DEMO_PEOPLE[0], people.DEMO_PEOPLE[1]
COMMUNE, POST = "000.01.20.H22", "000.91.30.H22"
CHECK = "/workspace/receive/population-check/"


@pytest.fixture
def world(db: Any, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return World()


def staff(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password="motcua-demo")
    return client


def applicant(person: people.Person, **overrides: str) -> dict[str, str]:
    values = {"applicant_kind": "person", "applicant_id_number": person.id_number, "applicant_name": "",
              "applicant_birth_date": "", "applicant_phone": "", "applicant_email": "", "applicant_address": ""}
    values.update(overrides)
    return values


def check(client: Client, point: str, person: people.Person, **overrides: str) -> str:
    response = client.post(CHECK, {"point": point, **applicant(person, **overrides)}, HTTP_HX_REQUEST="true",
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def receive(client: Client, point: str, channel: str, values: dict[str, str], scan: bool = False) -> Dossier:
    form = {"point": point, "procedure": "1.000894", "channel": channel, "delivery": "counter", "receive": "1",
            "c1-originals": "1", "c1-copies": "0", "c1-received": "1", **values}
    if scan:
        form["c1-scan"] = SimpleUploadedFile("to-khai.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post("/workspace/receive/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Dossier.objects.order_by("-pk").first()  # type: ignore[return-value]


def test_the_counter_check_prefills_and_flags_the_dossier(world: World, population: PopulationSim) -> None:
    counter = staff("tiepnhan")
    page = counter.get("/workspace/receive/").content.decode()
    assert 'id="population-check"' in page and 'hx-post="/workspace/receive/population-check/"' in page
    fragment = check(counter, COMMUNE, HUONG)
    assert "Found in the national population database" in fragment
    assert field(fragment, "applicant_name") == HUONG.full_name
    assert field(fragment, "applicant_birth_date") == "1990-04-12"
    assert field(fragment, "applicant_address") == HUONG.permanent_address
    proof = field(fragment, "population_proof")
    [lookup] = PopulationLookup.objects.all()
    assert (lookup.purpose, lookup.outcome, lookup.user_id, lookup.agency_id) == (
        LookupPurpose.COUNTER, LookupOutcome.FOUND, world.users["tiepnhan"].pk, world.commune.pk)
    values = applicant(HUONG, applicant_name=HUONG.full_name, applicant_address=HUONG.permanent_address,
                       population_proof=proof)
    dossier = receive(counter, COMMUNE, "counter", values)
    assert dossier.identity_verified and dossier.population_data
    assert dossier.applicant_name == HUONG.full_name and dossier.applicant_address == HUONG.permanent_address
    lookup.refresh_from_db()
    assert lookup.dossier_id == dossier.pk
    [fact] = build_many([dossier.pk]).facts
    assert fact.identity_verified is True and fact.population_data is True


def test_a_typed_name_that_differs_is_said_and_an_edited_name_is_not_verified(
        world: World, population: PopulationSim) -> None:
    counter = staff("tiepnhan")
    fragment = check(counter, COMMUNE, HUONG, applicant_name="Nguyễn Thị Hoa", applicant_birth_date="1990-04-12")
    assert "differs from the national population database" in fragment
    assert field(fragment, "applicant_name") == HUONG.full_name  # what the database holds
    matched = check(counter, COMMUNE, HUONG, applicant_name="nguyễn thị hương", applicant_birth_date="1990-04-12")
    assert "the name and date of birth match" in matched
    # only what was typed is said to match: a name alone, or a date of birth alone
    name_only = check(counter, COMMUNE, HUONG, applicant_name="Nguyễn Thị Hương")
    assert "the name matches (no date of birth was typed" in name_only and "date of birth match" not in name_only
    born_only = check(counter, COMMUNE, HUONG, applicant_birth_date="12/04/1990")
    assert "the date of birth matches (no name was typed" in born_only and "the name matches" not in born_only
    assert "The name typed differs" in check(counter, COMMUNE, HUONG, applicant_name="Nguyễn Thị Hoa")
    assert "The date of birth typed differs" in check(counter, COMMUNE, HUONG, applicant_birth_date="1990-04-13")
    values = applicant(HUONG, applicant_name="Nguyễn Thị Hoa", population_proof=field(matched, "population_proof"))
    dossier = receive(counter, COMMUNE, "counter", values)
    assert not dossier.identity_verified and dossier.population_data  # data used, but the name is not the person's


def test_a_forged_stale_or_other_persons_proof_earns_nothing(world: World, population: PopulationSim) -> None:
    counter = staff("tiepnhan")
    proof = field(check(counter, COMMUNE, HUONG), "population_proof")
    other = receive(counter, COMMUNE, "counter", applicant(MINH, applicant_name=MINH.full_name,
                                                           population_proof=proof))
    forged = receive(counter, COMMUNE, "counter", applicant(HUONG, applicant_name=HUONG.full_name,
                                                            population_proof=proof[:-3] + "xyz"))
    assert not any([other.identity_verified, other.population_data, forged.identity_verified,
                    forged.population_data])
    plain = receive(counter, COMMUNE, "counter", applicant(HUONG, applicant_name=HUONG.full_name))
    assert not plain.identity_verified
    [fact] = build_many([plain.pk]).facts
    assert fact.identity_verified is False


def test_what_the_state_holds_is_not_asked_again_once_the_id_is_checked(world: World,
                                                                         population: PopulationSim) -> None:
    """Decree 45/2020: a required component the state already holds (``reusable``) is taken from the population
    database once the counter or post office checked the applicant's ID, as the online wizard does."""
    version = ProcedureVersion.objects.get(procedure__code="1.000894")
    held = Component.objects.create(version=version, order=3, name_vi="Giấy tờ tùy thân", required=True,
                                    reusable=True)
    assert not portal_services.must_upload(held)  # online: "held by the state: no need to attach"
    counter = staff("tiepnhan")
    form = counter.get("/workspace/receive/checklist/", {"point": COMMUNE, "procedure": "1.000894"}).content.decode()
    assert "không cần nộp khi đã kiểm tra số định danh" in form  # "not needed once the ID is checked", in Vietnamese
    # not checked: still refused, the officer's typing kept
    values = applicant(HUONG, applicant_name=HUONG.full_name)
    refused = counter.post("/workspace/receive/", {
        "point": COMMUNE, "procedure": "1.000894", "channel": "counter", "delivery": "counter", "receive": "1",
        "c1-originals": "1", "c1-copies": "0", "c1-received": "1", **values}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422 and "Giấy tờ tùy thân" in refused.content.decode()
    assert not Dossier.objects.exists()
    for client, point, channel in ((counter, COMMUNE, "counter"), (staff("buudien"), POST, "post_office")):
        proof = field(check(client, point, HUONG), "population_proof")
        dossier = receive(client, point, channel, {**values, "population_proof": proof})
        assert dossier.population_data and dossier.status == "received"
        row = DossierComponent.objects.get(dossier=dossier, order=3)
        assert not row.required and not row.received
        reception = Event.objects.get(dossier=dossier, action=EventKind.RECEIVE)
        assert reception.data["from_population"] == [3]
        assert Event.objects.get(dossier=dossier, action=EventKind.SUBMIT).data["from_population"] == [3]
        assert list(verify_dossier(dossier, list(Event.objects.filter(dossier=dossier).order_by("seq")))) == []
        panel = client.get(f"/workspace/dossiers/{dossier.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'data-from="population"' in panel


def test_unknown_id_and_database_down_are_shown_at_the_counter(world: World, population: PopulationSim) -> None:
    counter = staff("tiepnhan")
    unknown = check(counter, COMMUNE, people.Person("022095999999", "", HUONG.date_of_birth, "1", "", ""))
    assert "has no citizen with this ID" in unknown and "population_proof" not in unknown
    population.configure(failure_rate=1)
    down = check(counter, COMMUNE, HUONG)
    assert "try again later" in down and "population_proof" not in down
    assert sorted(PopulationLookup.objects.values_list("outcome", flat=True)) == [
        LookupOutcome.UNAVAILABLE, LookupOutcome.UNKNOWN]
    # without htmx the whole form comes back, prefilled
    population.reset()
    page = counter.post(CHECK, {"point": COMMUNE, **applicant(HUONG)}).content.decode()
    assert 'id="receive-form"' in page and field(page, "applicant_name") == HUONG.full_name


def test_only_the_points_reception_staff_may_ask(world: World, population: PopulationSim) -> None:
    anonymous = Client().post(CHECK, {"point": COMMUNE, **applicant(HUONG)})
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    citizen = Client()
    sign_in(citizen, make_citizen())
    assert citizen.post(CHECK, {"point": COMMUNE, **applicant(HUONG)}, HTTP_HX_REQUEST="true").status_code in (
        302, 403, 404)
    assert staff("chuyenvien").post(CHECK, {"point": COMMUNE, **applicant(HUONG)},
                                    HTTP_HX_REQUEST="true").status_code == 404
    assert Client().get(CHECK).status_code in (302, 405)
    assert not PopulationLookup.objects.exists()


def test_a_post_office_dossier_joins_the_account_when_she_signs_up(world: World, population: PopulationSim,
                                                                   django_capture_on_commit_callbacks: Any) -> None:
    post = staff("buudien")
    fragment = check(post, POST, MINH)
    assert PopulationLookup.objects.get().purpose == LookupPurpose.POST_OFFICE
    values = applicant(MINH, applicant_name=MINH.full_name, applicant_address=MINH.permanent_address,
                       population_proof=field(fragment, "population_proof"))
    dossier = receive(post, POST, "post_office", values, scan=True)
    assert dossier.applicant_user_id is None and dossier.identity_verified
    # Minh signs up: verified, the dossier joins her account, its documents her data warehouse
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/tai-khoan/dang-ky/", {
            "kind": "person", "full_name": MINH.full_name, "id_number": MINH.id_number,
            "date_of_birth": MINH.date_of_birth.isoformat(), "email": "minh@example.vn",
            "password": "Cong-dan-2026!", "password2": "Cong-dan-2026!"})
    assert response.status_code == 302
    citizen = Citizen.objects.get(id_number=MINH.id_number)
    dossier.refresh_from_db()
    assert dossier.applicant_user_id == citizen.user_id
    link = Event.objects.get(dossier=dossier, action=EventKind.LINK_ACCOUNT)
    assert link.actor_id is None and link.changes == {"applicant_user_id": citizen.user_id}
    assert list(verify_dossier(dossier, list(Event.objects.filter(dossier=dossier).order_by("seq")))) == []
    assert StoredDocument.objects.filter(owner=citizen.user, source_dossier=dossier).count() == 1
    Citizen.objects.filter(pk=citizen.pk).update(email_verified_at=citizen.identity_verified_at)  # her email code
    mine = Client()
    sign_in(mine, citizen)
    assert dossier.code in mine.get("/ho-so-cua-toi/").content.decode()
    assert mine.get(f"/ho-so-cua-toi/{dossier.code}/").status_code == 200


def test_a_dossier_filed_for_a_verified_account_joins_it_at_once(world: World, population: PopulationSim) -> None:
    citizen = make_citizen(id_number=HUONG.id_number, full_name=HUONG.full_name, email="huong@example.vn")
    unverified = make_citizen(id_number=MINH.id_number, full_name=MINH.full_name)
    Citizen.objects.filter(pk=citizen.pk).update(identity_verified_at="2026-11-01T00:00:00Z")
    post = staff("buudien")
    mine = receive(post, POST, "post_office", applicant(HUONG, applicant_name=HUONG.full_name))  # no check asked
    other = receive(post, POST, "post_office", applicant(MINH, applicant_name=MINH.full_name))
    assert mine.applicant_user_id == citizen.user_id and not mine.identity_verified
    assert other.applicant_user_id is None and unverified.user_id != other.applicant_user_id
    client = Client()
    sign_in(client, citizen)
    assert mine.code in client.get("/ho-so-cua-toi/").content.decode()


def test_public_pages_show_no_personal_data_from_the_database(world: World, population: PopulationSim) -> None:
    counter = staff("tiepnhan")
    fragment = check(counter, COMMUNE, HUONG)
    dossier = receive(counter, COMMUNE, "counter", applicant(
        HUONG, applicant_name=HUONG.full_name, applicant_address=HUONG.permanent_address,
        applicant_birth_date="1990-04-12", population_proof=field(fragment, "population_proof")))
    public = Client().get("/tra-cuu/", {"ma": dossier.code}).content.decode()
    assert dossier.code in public
    for secret in (HUONG.id_number, HUONG.permanent_address, "1990-04-12", "12/04/1990"):
        assert secret not in public
    lookup_row = " ".join(str(v) for v in PopulationLookup.objects.values().get().values())
    assert HUONG.id_number not in lookup_row and "Hương" not in lookup_row


def test_the_admin_shows_the_log_read_only_and_finds_a_person_by_full_id(
        world: World, population: PopulationSim, admin_client: Client) -> None:
    check(staff("tiepnhan"), COMMUNE, HUONG)
    check(staff("buudien"), POST, MINH)
    url = "/admin/integrations/populationlookup/"
    page = admin_client.get(url).content.decode()
    assert "022*******67" in page and "022*******34" in page and HUONG.id_number not in page
    found = admin_client.get(url, {"q": HUONG.id_number}).content.decode()
    assert "022*******67" in found and "022*******34" not in found
    row = PopulationLookup.objects.get(purpose=LookupPurpose.COUNTER)
    assert admin_client.get(f"{url}add/").status_code == 403
    assert admin_client.post(f"{url}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post(f"{url}{row.pk}/change/", {"outcome": "matched"}).status_code == 403
    assert PopulationLookup.objects.get(pk=row.pk).outcome == LookupOutcome.FOUND


def test_an_online_dossier_from_a_verified_account_counts_as_identity_verified(world: World) -> None:
    verified = make_citizen(id_number=HUONG.id_number, full_name=HUONG.full_name, email="huong@example.vn")
    plain = make_citizen(id_number=MINH.id_number, full_name=MINH.full_name, email="minh@example.vn")
    Citizen.objects.filter(pk=verified.pk).update(identity_verified_at="2026-11-01T00:00:00Z")
    flags = []
    for citizen in (Citizen.objects.get(pk=verified.pk), plain):
        dossier, _new = dossier_services.create_dossier(actor=Actor.for_user(citizen.user), data={
            "procedure": "1.000894", "channel": "online", "applicant": {
                "name": citizen.full_name, "id_number": citizen.id_number, "address": "Hà Tu"},
            "receiving_agency": COMMUNE, "delivery": "electronic",
            "form": {"spouse_name": "Trần Thị Bình", "marriage_date": "05/12/2026"}}, now=timezone.now())
        flags.append((dossier.identity_verified, dossier.population_data))
    assert flags == [(True, False), (False, False)]


def test_only_what_the_population_database_holds_is_not_asked_again() -> None:
    from types import SimpleNamespace

    from motcua.dossiers.services.creation import held_by_population

    def component(name: str, reusable: bool = True) -> SimpleNamespace:
        return SimpleNamespace(name_vi=name, required=True, reusable=reusable)

    components = [component("Giấy tờ tùy thân còn giá trị (thẻ căn cước)"),
                  component("Giấy chứng nhận quyền sử dụng đất"),  # reusable, but not the population database's
                  component("Giấy tờ chứng minh nơi cư trú"),
                  component("Căn cước công dân", reusable=False)]
    assert held_by_population(components, {}, checked=True) == {1, 3}
    assert held_by_population(components, {}, checked=False) == set()
    assert held_by_population(components, {1: SimpleNamespace(received=True)}, checked=True) == {3}
