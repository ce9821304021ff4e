"""Sign-up verified against the population database (the real simulator process): a match creates a verified
account with the date of birth; a mismatch, an unknown citizen ID, someone else's ID or a database that does not
answer refuses it with a clear message and saves nothing but the look-up's log line."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from motcua.accounts.models import Citizen
from motcua.integrations.models import LookupOutcome, LookupPurpose, PopulationLookup
from motcua.integrations.population import people
from motcua.integrations.population.services import id_hash
from tests.factories import make_citizen
from tests.population_sim import PopulationSim, population_fixture, population_sim_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

SIGNUP = "/tai-khoan/dang-ky/"
MINH = people.DEMO_PEOPLE[1]  # Trần Văn Minh, 022095001234, 14/03/1995
PASSWORD = "Cong-dan-2026!"


def form(**overrides: str) -> dict[str, str]:
    values = {"kind": "person", "full_name": MINH.full_name, "id_number": MINH.id_number,
              "date_of_birth": MINH.date_of_birth.isoformat(), "email": "minh@example.vn", "phone": "",
              "password": PASSWORD, "password2": PASSWORD}
    values.update(overrides)
    return values


def sign_up(**overrides: str) -> Any:
    return Client().post(SIGNUP, form(**overrides))


def test_a_matching_person_gets_a_verified_account_and_the_lookup_is_logged(population: PopulationSim) -> None:
    page = Client().get(SIGNUP).content.decode()
    assert 'name="date_of_birth"' in page and "dân cư" in page  # "the population database", in Vietnamese
    response = sign_up(full_name="  trần   văn minh ")  # spacing and case as typed
    assert response.status_code == 302, response.content.decode()[:2000]
    citizen = Citizen.objects.get()
    assert citizen.identity_verified_at is not None and citizen.date_of_birth == MINH.date_of_birth
    # the account keeps the database's spelling of the name, and its permanent address
    assert citizen.full_name == citizen.user.first_name == MINH.full_name == "Trần Văn Minh"
    assert citizen.address == MINH.permanent_address != ""
    # the check, then (only after the match) the look-up of the spelling: both logged
    lookup, found = PopulationLookup.objects.order_by("pk")
    assert (lookup.purpose, lookup.outcome, lookup.user_id) == (LookupPurpose.SIGN_UP, LookupOutcome.MATCHED,
                                                                 citizen.user_id)
    assert (found.purpose, found.outcome, found.user_id) == (LookupPurpose.SIGN_UP, LookupOutcome.FOUND,
                                                             citizen.user_id)
    assert lookup.id_masked == "022*******34" and lookup.id_hash == id_hash(MINH.id_number)
    assert lookup.agency_id is None and lookup.dossier_id is None
    # the log keeps no data of the person
    for values in PopulationLookup.objects.values():
        row = " ".join(str(v) for v in values.values())
        assert MINH.id_number not in row and "Minh" not in row and "1995" not in row


@pytest.mark.parametrize(("overrides", "code_text", "outcome"), [
    ({"full_name": "Trần Văn Mạnh"}, "do not match", LookupOutcome.NAME_MISMATCH),
    ({"date_of_birth": "1995-03-15"}, "do not match", LookupOutcome.BIRTH_MISMATCH),
    ({"id_number": "022095999999"}, "has no citizen with this ID", LookupOutcome.UNKNOWN),
    # someone else's citizen ID (Nguyễn Thị Hương's) with one's own name and date of birth
    ({"id_number": people.DEMO_PEOPLE[0].id_number}, "do not match", LookupOutcome.NAME_MISMATCH),
])
def test_a_mismatch_or_an_unknown_id_refuses_the_sign_up(population: PopulationSim, overrides: dict[str, str],
                                                         code_text: str, outcome: str) -> None:
    with_english = Client()
    response = with_english.post(SIGNUP, form(**overrides), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert code_text in response.content.decode()
    assert not Citizen.objects.exists() and not get_user_model().objects.exists()
    [lookup] = PopulationLookup.objects.all()
    assert lookup.outcome == outcome and lookup.user_id is None


def test_a_citizen_id_already_verified_for_another_account_is_refused_without_asking(
        population: PopulationSim) -> None:
    assert sign_up().status_code == 302
    asked = PopulationLookup.objects.count()  # the first sign-up's check and look-up
    response = Client().post(SIGNUP, form(email="other@example.vn"), HTTP_ACCEPT_LANGUAGE="en")
    assert "An account already holds this citizen ID" in response.content.decode()
    assert Citizen.objects.count() == 1 and PopulationLookup.objects.count() == asked == 2


@pytest.mark.parametrize("trouble", [{"failure_rate": 1}, {"slow": 2}, {"garbage": True}])
def test_the_database_down_refuses_with_try_again_later_and_saves_nothing(
        population: PopulationSim, trouble: dict[str, Any]) -> None:
    population.configure(**trouble)
    response = Client().post(SIGNUP, form(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "try again later" in response.content.decode()
    assert not Citizen.objects.exists()
    assert PopulationLookup.objects.get().outcome == LookupOutcome.UNAVAILABLE


def test_the_date_of_birth_is_required_when_checks_are_on_and_checked_before_any_lookup(
        population: PopulationSim) -> None:
    response = Client().post(SIGNUP, form(date_of_birth="", password2="other"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "Enter your date of birth" in page and "do not match" in page  # every error at once
    assert not PopulationLookup.objects.exists()


def test_without_the_database_sign_up_works_as_before(settings: Any) -> None:
    settings.MOTCUA_POPULATION_URL = ""
    assert sign_up(date_of_birth="").status_code == 302
    citizen = Citizen.objects.get()
    assert citizen.identity_verified_at is None and not PopulationLookup.objects.exists()


def test_an_organization_is_not_checked(population: PopulationSim) -> None:
    response = sign_up(kind="organization", full_name="Công ty TNHH Hạ Long Xanh", id_number="5701234566",
                       date_of_birth="")
    assert response.status_code == 302
    assert Citizen.objects.get().identity_verified_at is None and not PopulationLookup.objects.exists()


def test_unverified_accounts_with_the_same_id_do_not_block_a_verified_one(population: PopulationSim) -> None:
    make_citizen(id_number=MINH.id_number, full_name="Trần Văn Minh")  # an older, unverified account
    assert sign_up().status_code == 302
    assert Citizen.objects.filter(id_number=MINH.id_number, identity_verified_at__isnull=False).count() == 1


def test_too_many_identity_checks_from_one_address_are_refused(population: PopulationSim, settings: Any) -> None:
    """Guessing someone else's name and date of birth costs one look-up each; an address gets a few an hour (form
    errors found before asking do not count)."""
    settings.MOTCUA_POPULATION_SIGNUP_CHECKS_PER_HOUR = 2
    client = Client()
    assert client.post(SIGNUP, form(password2="x")).status_code == 200  # not asked: does not count
    for year in ("1990", "1991"):
        assert client.post(SIGNUP, form(date_of_birth=f"{year}-01-01")).status_code == 200
    refused = client.post(SIGNUP, form(), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and "Too many identity checks" in refused.content.decode()
    assert PopulationLookup.objects.count() == 2 and not Citizen.objects.exists()
