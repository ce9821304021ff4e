"""The demo province that `make run` loads: complete, real, and idempotent."""

import io
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from motcua.agencies.models import Agency, AgencyKind, Membership, Role
from motcua.catalog.models import Field, ProcedureVersion
from motcua.catalog.selectors import SearchFilters, search_procedures
from motcua.counters.models import Appointment, ServiceArea, Ticket
from motcua.demo.history import history_loaded
from motcua.demo.queue import CENTER
from motcua.demo.returned import load_returned
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import Status
from motcua.feedback.models import Rating

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tmp_path_factory.mktemp("load-demo-pki")


@pytest.fixture
def demo(db: Any, settings: Any, demo_pki_dir: Any) -> None:
    # its own PKI directory: never the one the session's `demo_pki` fixture serves (whose certificates other
    # tests check by name), whatever order the tests run in
    settings.MOTCUA_PKI_DIR = demo_pki_dir
    call_command("load_demo", verbosity=0, without_history=True)  # the history: tests/test_demo_history.py


def test_demo_province_is_complete(demo: None) -> None:
    in_force = ProcedureVersion.objects.in_force()
    assert in_force.count() >= 47
    assert Field.objects.filter(versions__in=in_force).distinct().count() >= 9
    for words in ("dang ky ket hon", "giay phep xay dung", "chung nhan quyen su dung dat", "ho kinh doanh",
                  "giay phep lai xe", "bien phap bao dam", "khai sinh", "ly lich tu phap"):
        assert search_procedures(SearchFilters(q=words)).exists(), words
    assert search_procedures(SearchFilters(q="dang ky ket hon")).filter(procedure__code="1.000894").exists()
    posts = set(Agency.objects.filter(kind=AgencyKind.POST_OFFICE).values_list("name", flat=True))
    assert posts == {f"Điểm Bưu điện {n}" for n in ("Hà Tu", "Giếng Đáy", "Việt Hưng", "Thống Nhất")}
    assert Agency.objects.filter(kind=AgencyKind.SERVICE_CENTER).count() == 1
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    for agency in Agency.objects.filter(kind__in=[AgencyKind.SERVICE_CENTER, AgencyKind.POST_OFFICE]):
        assert agency.procedures.exists(), agency


def test_the_demo_kiosk_issues_a015_next_and_the_waiting_room_has_figures(demo: None, client: Client) -> None:
    assert list(ServiceArea.objects.filter(agency__identifier_code=CENTER).values_list("letter", flat=True)) == [
        "A", "B", "C"]
    assert Ticket.objects.filter(status="done").count() > 1000  # four weeks of served tickets for the figures
    area = ServiceArea.objects.get(agency__identifier_code=CENTER, letter="A")
    page = client.post(f"/quay-so/{CENTER}/", {"area": area.pk}).content.decode()
    assert 'id="ticket-number">A015<' in page
    assert Appointment.objects.filter(user__username="congdan.demo", status="booked").count() == 1


def test_demo_is_idempotent_and_accounts_work(demo: None, client: Client) -> None:
    counts = (Agency.objects.count(), ProcedureVersion.objects.count(), Membership.objects.count(),
              Ticket.objects.count(), Appointment.objects.count())
    load_returned()  # what `load_demo` does with its history (without it, as here, it makes no dossier)
    returned = Dossier.objects.get(applicant_user__username="congdan.demo", status=Status.RETURNED)
    out = io.StringIO()
    call_command("load_demo", without_history=True, stdout=out)
    assert Dossier.objects.filter(applicant_user__username="congdan.demo").count() == 1
    assert f"DG {returned.code} 5" in out.getvalue()  # printed with the demo accounts
    assert not Rating.objects.filter(dossier=returned).exists()  # left for her to rate (portal or Zalo)
    assert not history_loaded()  # her own dossier is not mistaken for the history's
    assert (Agency.objects.count(), ProcedureVersion.objects.count(), Membership.objects.count(),
            Ticket.objects.count(), Appointment.objects.count()) == counts
    assert client.login(username="quantri", password="motcua-demo")
    assert client.get("/admin/catalog/procedureversion/").status_code == 200
    assert get_user_model().objects.filter(is_staff=True).count() >= 7


def test_make_run_loads_the_demo_in_trial_mode() -> None:
    """`make run`'s prepare step loads the demo with MOTCUA_DEMO=1: its history is queued for the national portal
    simulator (without it, MOTCUA_DVCQG_URL is empty and nothing is)."""
    makefile = (Path(__file__).parent.parent / "Makefile").read_text(encoding="utf-8")
    prepare = makefile[makefile.index("\nprepare:"):]
    prepare = prepare[:prepare.index("\n\n")]
    for command in ("load_demo", "peer_demo main"):
        line = next(line for line in prepare.splitlines() if f"motcua {command}" in line)
        assert "MOTCUA_DEMO=1 " in line, line


INTEGRATION_LISTS = ["outboxmessage", "inboxmessage", "codemapping", "populationlookup", "peer", "peeragency",
                     "peerstep", "peerexchange"]


def test_demo_administrator_sees_the_interconnection_and_nobody_deletes_a_message(demo: None, client: Client
                                                                                  ) -> None:
    assert client.login(username="quantri", password="motcua-demo")
    for model in INTEGRATION_LISTS:
        assert client.get(f"/admin/integrations/{model}/").status_code == 200, model
    assert client.get("/admin/integrations/codemapping/add/").status_code == 200
    assert client.get("/admin/integrations/peer/add/").status_code == 200
    assert client.get("/admin/integrations/outboxmessage/add/").status_code == 403
    user = get_user_model().objects.get(username="quantri")
    assert user.has_perm("integrations.change_outboxmessage")
    assert not user.has_perm("integrations.delete_outboxmessage")
    assert not user.has_perm("integrations.change_populationlookup")
    # the "delete" action is offered to nobody, not even a superuser
    user.is_superuser = True
    user.save()
    for model in ("outboxmessage", "inboxmessage", "populationlookup"):
        page = client.get(f"/admin/integrations/{model}/").content.decode()
        assert 'value="delete_selected"' not in page, model


RANKING = [("khai sinh", "Đăng ký khai sinh"), ("hôn", "Đăng ký kết hôn"), ("ket hon", "Đăng ký kết hôn"),
           ("giay phep lai xe", "Đổi giấy phép lái xe"), ("1.000894", "Đăng ký kết hôn")]


def test_search_ranks_what_people_mean_first_and_matches_word_starts(demo: None) -> None:
    for words, first in RANKING:
        names = [v.name_vi for v in search_procedures(SearchFilters(q=words))]
        assert names[0] == first, (words, names[:5])
    names = [v.name_vi for v in search_procedures(SearchFilters(q="hon"))]
    assert names and all("hôn" in n.lower() for n in names), names  # not "giao thông"
    assert search_procedures(SearchFilters(q="giay phep xay")).count() == 2  # a word being typed still matches


def test_the_printed_booking_account_signs_in_and_books(db: Any, settings: Any, demo_pki_dir: Any) -> None:
    """The account load_demo prints for booking is one the portal's sign-in accepts (citizens: phone or email)."""
    settings.MOTCUA_PKI_DIR = demo_pki_dir
    out = StringIO()
    call_command("load_demo", without_history=True, stdout=out)
    printed = out.getvalue()
    booking = next(line for line in printed.splitlines() if "/dat-lich/" in line)
    assert "congdan.demo" not in printed and "0912000001" in booking and "motcua-demo" in booking
    client = Client()
    response = client.post("/tai-khoan/dang-nhap/", {"identifier": "0912000001", "password": "motcua-demo",
                                                     "next": "/dat-lich/"})
    assert response.status_code == 302 and response["Location"] == "/dat-lich/"
    page = client.get(f"/dat-lich/?co-quan={CENTER}")
    assert page.status_code == 200 and 'id="book-refused"' not in page.content.decode()
