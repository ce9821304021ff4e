"""The population database in a real Chromium at a phone's size: a postal worker files a dossier for a citizen,
checking her with the population database (the htmx button prefills the form); the citizen then signs up on her
phone, is verified against the simulator, and finds the dossier in her account."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from motcua.accounts.models import Citizen
from motcua.dossiers.models import Dossier
from motcua.integrations.models import LookupPurpose, PopulationLookup
from motcua.integrations.population import people
from tests.browsing import PHONE, fits
from tests.factories import World
from tests.population_sim import PopulationSim, population_fixture, population_sim_fixture  # noqa: F401
from tests.test_browser_portal import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HA = people.DEMO_PEOPLE[2]  # Lê Thị Thu Hà, 030198007788, 02/11/1998
EMAIL, PASSWORD = "thuha@example.vn", "Cong-dan-2026!"


@pytest.fixture
def world_live(transactional_db: Any, settings: Any, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return World()


def as_user(context: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def test_a_citizen_signs_up_verified_on_her_phone_and_sees_what_the_post_office_filed(
        browser: Any, live_server: Any, world_live: World, population: PopulationSim) -> None:
    # the postal worker, on a phone too: the check with the population database fills in the applicant
    worker = browser.new_context(**PHONE)
    as_user(worker, live_server, world_live.users["buudien"])
    post = worker.new_page()
    post.set_default_timeout(15_000)
    post.goto(live_server.url + "/workspace/receive/")
    post.locator("#procedure").select_option("1.000894")
    post.locator("#c1-received").wait_for()
    post.locator("#c1-received").check()
    post.locator("#applicant_id_number").fill(HA.id_number)
    post.locator("#population-check").click()
    post.locator("#population-result").wait_for()
    assert post.locator("#applicant_name").input_value() == HA.full_name
    assert post.locator("#applicant_birth_date").input_value() == "1998-11-02"
    assert post.locator("#applicant_address").input_value() == HA.permanent_address
    assert fits(post)
    post.locator("button[name=receive][value='1']").click()
    post.wait_for_url("**/workspace/dossiers/**")
    dossier = Dossier.objects.get()
    assert dossier.channel == "post_office" and dossier.identity_verified and dossier.applicant_user_id is None
    assert PopulationLookup.objects.get().purpose == LookupPurpose.POST_OFFICE
    worker.close()

    # the citizen signs up on her phone: verified against the population database
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/tai-khoan/dang-ky/")
    assert fits(page) and serious_violations(page) == []
    page.locator("#id_full_name").fill(HA.full_name)
    page.locator("#id_id_number").fill(HA.id_number)
    page.locator("#id_date_of_birth").fill("1998-11-03")  # a wrong date first
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_password2").press("Enter")
    page.locator("#id_full_name-error").wait_for()
    assert not Citizen.objects.exists() and fits(page) and serious_violations(page) == []
    page.locator("#id_date_of_birth").fill("1998-11-02")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_password2").press("Enter")
    page.wait_for_url("**/tai-khoan/xac-minh/**")
    citizen = Citizen.objects.get()
    assert citizen.identity_verified_at is not None and citizen.date_of_birth.isoformat() == "1998-11-02"
    call_command("db_worker", queue_name="*", batch=True, reload=False, startup_delay=False, interval=0,
                 verbosity=0)
    [message] = [m for m in mail.outbox if EMAIL in m.to]
    code = re.search(r"\b(\d{6})\b", message.body)
    assert code, message.body
    page.locator("#id_code").fill(code.group(1))
    page.locator("#id_code").press("Enter")
    page.wait_for_url(lambda url: "/xac-minh/" not in url)
    # her account lists the dossier the post office filed for her
    page.goto(live_server.url + "/ho-so-cua-toi/")
    assert dossier.code in page.locator("main").inner_text()
    assert fits(page) and serious_violations(page) == []
    context.close()
