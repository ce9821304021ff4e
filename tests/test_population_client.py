"""The population database client against the real simulator process: tokens, look-ups, verifications, the
database's error codes, and a database that is down, slow or answers garbage (each a clear "try again later",
never a silent pass)."""

from __future__ import annotations

import urllib.parse
import urllib.request
from datetime import date
from typing import Any

import pytest

from motcua.integrations.population import client, people
from motcua.integrations.population.client import Match, PopulationUnavailable, UnknownCitizen
from tests.pki import free_port
from tests.population_sim import PopulationSim, population_fixture, population_sim_fixture  # noqa: F401

HUONG = people.DEMO_PEOPLE[0]


def test_lookup_returns_the_person_and_verify_compares_name_and_birth_date(population: PopulationSim) -> None:
    person = client.lookup(HUONG.id_number)
    assert (person.full_name, person.date_of_birth, person.sex) == ("Nguyễn Thị Hương", date(1990, 4, 12), "2")
    assert person.permanent_address.startswith("Tổ 3, khu 5") and person.place_of_origin
    assert client.verify(HUONG.id_number, "nguyễn  thị HƯƠNG", HUONG.date_of_birth) == Match.MATCHED
    assert client.verify(HUONG.id_number, "Nguyễn Thị Hoa", HUONG.date_of_birth) == Match.NAME_MISMATCH
    assert client.verify(HUONG.id_number, HUONG.full_name, date(1990, 4, 13)) == Match.BIRTH_MISMATCH
    with pytest.raises(UnknownCitizen) as unknown:
        client.lookup("022090999999")
    assert unknown.value.code == "unknown_citizen_id"
    # the token is kept between calls
    assert client.client().token() == client.client().token()


def test_the_simulated_population_is_plausible() -> None:
    everyone = people.population()
    assert len(everyone) == 200 + len(people.DEMO_PEOPLE)
    for person in everyone.values():
        century, sex = divmod(int(person.id_number[3]), 2)
        assert person.id_number[:3] in {code for code, _name in people.PROVINCES} | {"022", "030", "001"}
        assert (person.date_of_birth.year >= 2000) == (century == 1)
        assert sex + 1 == int(person.sex)
        assert person.id_number[4:6] == f"{person.date_of_birth.year % 100:02d}"
        assert len(person.full_name.split()) >= 3
    assert not any(n.startswith(people.HISTORY_PREFIX) for n in list(everyone)[len(people.DEMO_PEOPLE):])


def test_the_simulator_refuses_a_bad_secret_a_missing_token_and_a_bad_request(population: PopulationSim) -> None:
    def post(path: str, data: bytes, headers: dict[str, str]) -> tuple[int, str]:
        request = urllib.request.Request(population.url + path, data=data, method="POST",  # noqa: S310
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "motcua-sim",
                                   "client_secret": "wrong"}).encode()
    assert post(client.TOKEN_PATH, form, {})[0] == 401
    status, body = post(client.LOOKUP_PATH, b'{"SoDinhDanh": "022190004567"}', {})
    assert status == 401 and '"03"' in body
    token = client.client().token()
    status, body = post(client.LOOKUP_PATH, b'{"SoDinhDanh": "12"}', {"Authorization": f"Bearer {token}"})
    assert status == 400 and '"02"' in body
    wrong = client.Client(population.url, "motcua-sim", "wrong", 1.0)
    with pytest.raises(PopulationUnavailable):
        wrong.lookup(HUONG.id_number)


@pytest.mark.parametrize("trouble", [{"failure_rate": 1}, {"slow": 2}, {"garbage": True}])
def test_down_slow_or_garbage_is_unavailable(population: PopulationSim, trouble: dict[str, Any]) -> None:
    client.client().token()  # a token first: the trouble hits the look-up itself
    population.configure(**trouble)
    with pytest.raises(PopulationUnavailable) as caught:
        client.verify(HUONG.id_number, HUONG.full_name, HUONG.date_of_birth)
    assert caught.value.code == "population_unavailable" and caught.value.status == 503
    assert "try again later" in caught.value.text("en")


def test_nothing_listening_is_unavailable(settings: Any) -> None:
    settings.MOTCUA_POPULATION_URL = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(PopulationUnavailable):
        client.lookup(HUONG.id_number)
    client._clients.clear()


def test_the_simulator_page_lists_lookups_with_masked_ids(population: PopulationSim) -> None:
    client.lookup(HUONG.id_number)
    page = population.page()
    assert "022*******67" in page and "022190004567" not in page.split("Look-ups answered")[1]
