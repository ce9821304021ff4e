"""The virtual assistant (issue 15): retrieval over the demo catalogue, answers from the catalogue, bad input, the
API, the log of questions without personal data, and the optional language model through its simulator."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from motcua.agencies.models import Agency, AgencyKind
from motcua.assistant import index
from motcua.assistant.models import AnswerStatus, AskChannel, Question
from motcua.assistant.services import ask, without_personal_data
from motcua.catalog.fees import base_name, fee_range
from motcua.catalog.models import Synonym
from motcua.catalog.services import import_catalog, load_synonyms
from motcua.demo import CATALOG_FILE
from motcua.geo.models import AdministrativeUnit
from tests.simulators import start_simulator, stop_simulator

GOLD = Path(__file__).parent / "data" / "assistant_gold.json"
SYNONYMS_FILE = CATALOG_FILE.parent / "synonyms.json"
LAND_FIRST_TIME, BIRTH = "1.013978", "1.001193"
CENTER, HATU, HATU_POST = "000.00.01.H22", "000.01.20.H22", "000.91.30.H22"


def load_world() -> dict[str, Agency]:
    """The demo catalogue and its synonyms; the provincial center (province-level procedures), Hà Tu ward's
    one-stop center and post office (commune-level ones)."""
    province = AdministrativeUnit.objects.create(code="22", name="Tỉnh Quảng Ninh", kind="province")
    ward = AdministrativeUnit.objects.create(code="06652", name="Phường Hà Tu", kind="ward", parent=province)
    agencies = {
        CENTER: Agency.objects.create(identifier_code=CENTER, name="Trung tâm Phục vụ hành chính công tỉnh",
                                      kind=AgencyKind.SERVICE_CENTER, unit=province, hotline="0203 3 656 656"),
        HATU: Agency.objects.create(identifier_code=HATU, name="Trung tâm Phục vụ hành chính công phường Hà Tu",
                                    kind=AgencyKind.COMMUNE_ONE_STOP, unit=ward, address="Tổ 1, phường Hà Tu"),
        HATU_POST: Agency.objects.create(identifier_code=HATU_POST, name="Điểm Bưu điện Hà Tu",
                                         kind=AgencyKind.POST_OFFICE, unit=ward),
    }
    catalog = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    for record in catalog["procedures"]:
        record["agencies"] = [HATU, HATU_POST] if record["level"] == "commune" else [CENTER]
    import_catalog(catalog)
    load_synonyms(json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))["synonyms"])
    index.forget()
    return agencies


@pytest.fixture
def world(db: Any, settings: Any) -> dict[str, Agency]:
    settings.MOTCUA_ASSISTANT_LLM_URL = ""
    return load_world()


def test_the_gold_set_reaches_its_recall_and_out_of_scope_questions_are_not_answered(world: Any) -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    assert len(gold["questions"]) >= 150
    at5 = 0
    for item in gold["questions"]:
        codes = [m.code for m in ask(item["q"], log=False).matches]
        at5 += any(code in item["codes"] for code in codes[:5])
    assert at5 / len(gold["questions"]) >= 0.9
    confident = [q for q in gold["out_of_scope"] if ask(q, log=False).answered]
    assert confident == []


@pytest.mark.parametrize(("question", "code"), [
    ("lam so do", LAND_FIRST_TIME), ("Làm sổ đỏ", LAND_FIRST_TIME), ("dang ky khai sinh cho con", BIRTH),
    ("làm giấy khai sinh cho con", BIRTH), ("dang ky khai sinhh", None), ("bằng lái hết hạn", "3.000347"),
])
def test_the_done_when_questions_lead_to_their_procedure_first(world: Any, question: str, code: str | None) -> None:
    answer = ask(question)
    assert answer.status == AnswerStatus.ANSWERED
    assert answer.card is not None
    if code:
        assert answer.card.code == code
        assert answer.matches[0].code == code


def test_the_answer_is_the_catalogue_s_documents_fees_time_and_where_to_go(world: Any) -> None:
    answer = ask("lam so do")
    card = answer.card
    assert card is not None
    version_components = list(world[HATU].procedures.get(code=LAND_FIRST_TIME).versions.get().components.all())
    assert [d.name for d in card.documents] == [c.name_vi for c in version_components]
    assert card.fees == [] and card.fee_total == 0  # the catalogue lists none: the page says so
    birth = ask("dang ky khai sinh cho con").card
    assert birth is not None and birth.fees and all(f.label and f.note for f in birth.fees)
    licence_fee = ask("đổi bằng lái xe").card
    assert licence_fee is not None and licence_fee.fee_total == 135000 and licence_fee.fee_total_label == "135.000 đ"
    assert card.processing_days and card.channels
    # no commune chosen: a commune-level procedure lists the one-stop center that receives it and the post office
    assert [p.code for p in card.places] == [HATU, HATU_POST]
    assert card.commune_level
    # a province-level one: the provincial center
    licence = ask("đổi bằng lái xe").card
    assert licence is not None
    assert [p.code for p in licence.places] == [CENTER]


def test_a_commune_and_a_counter_choose_where_to_go(world: Any) -> None:
    card = ask("dang ky khai sinh cho con", commune="06652").card
    assert card is not None
    assert card.places[0].code == HATU
    qr = ask("dang ky khai sinh cho con", counter=HATU_POST, channel=AskChannel.QR).card
    assert qr is not None
    assert qr.places[0].code == HATU_POST


def test_no_good_match_says_it_does_not_know_and_offers_the_hotline(world: Any) -> None:
    answer = ask("giá vàng hôm nay bao nhiêu")
    assert answer.status == AnswerStatus.NOT_SURE
    assert answer.card is None
    assert answer.hotline == "0203 3 656 656"


def test_a_hotline_setting_wins(world: Any, settings: Any) -> None:
    settings.MOTCUA_ASSISTANT_HOTLINE = "1900 1234"
    assert ask("xyz qwerty").hotline == "1900 1234"


def test_bad_input_each_gets_a_clear_answer(world: Any) -> None:
    with translation.override("en"):
        empty = ask("   ")
        long = ask("đăng ký kết hôn " * 40)
        abusive = ask("dm cái thủ tục này")
        english = ask("How do I register a birth?")
    assert empty.status == AnswerStatus.EMPTY and empty.message
    assert long.status == AnswerStatus.REFUSED and "500" in long.message
    assert long.question.startswith("đăng ký kết hôn")  # kept, to be shortened
    assert abusive.status == AnswerStatus.REFUSED and abusive.card is None
    assert english.language == "en" and english.note
    assert english.card is not None and english.card.code in {BIRTH, "1.000689", "2.000528"}
    statuses = list(Question.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [AnswerStatus.EMPTY, AnswerStatus.REFUSED, AnswerStatus.REFUSED, AnswerStatus.ANSWERED]


def test_questions_are_logged_without_personal_data(world: Any) -> None:
    ask("làm sổ đỏ cho tôi, CCCD 001203004567, điện thoại 0912 345 678", channel=AskChannel.API)
    logged = Question.objects.get()
    assert "001203004567" not in logged.text and "0912 345 678" not in logged.text
    assert logged.matched_code == LAND_FIRST_TIME and logged.channel == AskChannel.API
    assert without_personal_data("năm 2024, 5 ngày") == "năm 2024, 5 ngày"


def test_a_synonym_added_in_the_catalogue_is_used_at_once(world: Any) -> None:
    assert not ask("giấy tờ bìa đỏ", log=False).answered
    Synonym.objects.create(phrase="bìa đỏ", meaning="giấy chứng nhận quyền sử dụng đất",
                           procedure=world[HATU].procedures.get(code=LAND_FIRST_TIME))
    answer = ask("giấy tờ bìa đỏ", log=False)
    assert answer.answered and answer.card is not None and answer.card.code == LAND_FIRST_TIME


def test_synonyms_load_idempotently_and_report_unknown_procedures(world: Any) -> None:
    rows = json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))["synonyms"]
    count = Synonym.objects.count()
    again = load_synonyms(rows)
    assert (again.created, again.updated, Synonym.objects.count()) == (0, 0, count)
    report = load_synonyms([{"phrase": "giấy xanh", "meaning": "x", "procedure": "9.999999"}])
    assert report.created == 1 and report.unknown_procedures == ["9.999999"]
    assert Synonym.objects.get(phrase="giấy xanh").procedure is None


def test_another_process_sees_a_catalogue_change_after_the_check_interval(world: Any, settings: Any) -> None:
    settings.MOTCUA_ASSISTANT_INDEX_CHECK_SECONDS = 0
    before = index.current()
    # written as another process would: no signal reaches this one
    Synonym.objects.bulk_create([Synonym(phrase="bìa đỏ", meaning="giấy chứng nhận quyền sử dụng đất")])
    assert index.current() is not before
    assert index.current().key == index.catalogue_key()


def test_the_page_answers_with_and_without_htmx(world: Any) -> None:
    client = Client()
    with translation.override("vi"):
        page = client.get(reverse("portal:assistant"), {"q": "lam so do"})
        fragment = client.get(reverse("portal:assistant"), {"q": "lam so do"}, headers={"HX-Request": "true"})
        qr = client.get(reverse("portal:assistant"), {"q": "khai sinh", "counter": HATU})
        empty = client.get(reverse("portal:assistant"))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'data-code="{LAND_FIRST_TIME}"' in body and 'id="assistant-documents"' in body
    assert reverse("portal:wizard_start", args=[LAND_FIRST_TIME]) in body or 'id="assistant-online"' not in body
    assert 'value="lam so do"' in body
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert qr.status_code == 200 and 'id="assistant-counter"' in qr.content.decode()
    assert Question.objects.filter(channel=AskChannel.QR, counter=HATU).count() == 1
    assert empty.status_code == 200 and 'id="assistant-examples"' in empty.content.decode()


def test_the_page_keeps_a_too_long_question_in_the_box(world: Any) -> None:
    long = "a" * 600
    with translation.override("vi"):
        response = Client().get(reverse("portal:assistant"), {"q": long})
    assert 'id="assistant-refused"' in response.content.decode()
    assert f'value="{long}"' in response.content.decode()


def test_the_page_costs_the_same_queries_whatever_the_procedure(world: Any, django_assert_max_num_queries: Any
                                                                 ) -> None:
    client = Client()
    client.get(reverse("portal:assistant"), {"q": "lam so do"})  # the index is built once per process
    with django_assert_max_num_queries(14):
        client.get(reverse("portal:assistant"), {"q": "dang ky khai sinh cho con"})
    with django_assert_max_num_queries(14):
        client.get(reverse("portal:assistant"), {"q": "lam so do", "commune": "06652"})


def test_the_counter_qr_code_opens_the_assistant_at_that_point(world: Any) -> None:
    client = Client()
    page = client.get(reverse("portal:agency_assistant_qr", args=[HATU]))
    png = client.get(reverse("portal:agency_assistant_qr_png", args=[HATU]))
    assert page.status_code == 200 and f"counter={HATU}" in page.content.decode()
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert client.get(reverse("portal:agency_assistant_qr", args=["000.99.99.H22"])).status_code == 404
    agency_page = client.get(reverse("portal:agency", args=[HATU])).content.decode()
    assert reverse("portal:agency_assistant_qr", args=[HATU]) in agency_page


def test_the_api_answers_with_the_structured_card(world: Any) -> None:
    client = Client()
    response = client.post("/api/v1/assistant/ask", {"question": "lam so do", "commune": "06652"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "answered"
    assert data["card"]["code"] == LAND_FIRST_TIME
    assert data["card"]["documents"] and data["card"]["places"][0]["code"] == HATU
    assert data["card"]["url"].endswith(f"/thu-tuc/{LAND_FIRST_TIME}/")
    unknown = client.post("/api/v1/assistant/ask", {"question": "giá vàng hôm nay"}, content_type="application/json")
    assert unknown.json()["status"] == "not_sure" and unknown.json()["hotline"]
    assert client.post("/api/v1/assistant/ask", {}, content_type="application/json").status_code in (400, 422)
    assert Question.objects.filter(channel=AskChannel.API).count() == 2


def test_the_api_is_throttled(world: Any, settings: Any) -> None:
    settings.MOTCUA_ASSISTANT_LIMIT_PER_MINUTE = 2
    client = Client()
    codes = [client.post("/api/v1/assistant/ask", {"question": "khai sinh"}, content_type="application/json")
             .status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# --- the optional language model, through its simulator (a real separate process) ------------------------------


@pytest.fixture(scope="module")
def llm_sim() -> Iterator[str]:
    url, process = start_simulator("llm_sim")
    yield url
    stop_simulator(process)


def _configure(url: str, **config: object) -> None:
    request = urllib.request.Request(url + "/_sim/config", data=json.dumps(config).encode(),  # noqa: S310
                                     method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 - our own simulator


def test_the_language_model_rephrases_an_answer_that_cites_its_code(world: Any, settings: Any, llm_sim: str) -> None:
    _configure(llm_sim, mode="cite", slow=0)
    settings.MOTCUA_ASSISTANT_LLM_URL = llm_sim
    card = ask("lam so do").card
    assert card is not None and card.rephrased
    assert card.summary.startswith("Tóm lại") and LAND_FIRST_TIME in card.summary
    assert card.documents  # the facts still come from the catalogue


def test_a_reply_without_the_code_is_ignored(world: Any, settings: Any, llm_sim: str) -> None:
    _configure(llm_sim, mode="forget_code", slow=0)
    settings.MOTCUA_ASSISTANT_LLM_URL = llm_sim
    card = ask("lam so do").card
    assert card is not None and not card.rephrased and not card.summary.startswith("Tóm lại")


@pytest.mark.parametrize("config", [{"mode": "cite", "slow": 2.0}, {"mode": "garbage", "slow": 0}])
def test_a_slow_or_broken_model_leaves_the_plain_answer(world: Any, settings: Any, llm_sim: str,
                                                         config: dict[str, object]) -> None:
    _configure(llm_sim, **config)
    settings.MOTCUA_ASSISTANT_LLM_URL = llm_sim
    settings.MOTCUA_ASSISTANT_LLM_TIMEOUT = 0.5
    started = time.monotonic()
    card = ask("lam so do").card
    assert card is not None and not card.rephrased
    assert time.monotonic() - started < 1.9
    _configure(llm_sim, mode="cite", slow=0)


# --- a new user's findings: fees that are alternatives, "free", wording, relevance, the API's form body ---------

KARAOKE, BUILDING, LICENCE = "1.001029", "1.013225", "3.000347"


def test_fee_items_that_are_alternatives_give_a_range_not_their_sum() -> None:
    @dataclass
    class Item:
        name_vi: str
        amount: int

    urban, other = Item("Phí thẩm định (khu vực đô thị)", 4_000_000), Item("Phí thẩm định (khu vực khác)", 2_000_000)
    assert base_name(urban.name_vi) == base_name(other.name_vi)
    span = fee_range([urban, other])
    assert (span.low, span.high, span.exact, span.free) == (2_000_000, 4_000_000, False, False)
    # items of different names add up (as the dossier's quote adds them); an alternative counts once
    added = fee_range([urban, other, Item("Lệ phí cấp giấy phép", 100_000)])
    assert (added.low, added.high) == (2_100_000, 4_100_000)
    assert fee_range([Item("Lệ phí", 0)]).free and not fee_range([]).free and not fee_range([]).listed
    assert fee_range([Item("Lệ phí", 0)]).listed


def test_the_karaoke_fees_are_a_range_on_the_card_the_page_and_the_api(world: Any) -> None:
    with translation.override("en"):
        card = ask("mở quán karaoke", log=False).card
    assert card is not None and card.code == KARAOKE
    assert card.fee_total is None and card.fee_depends
    assert (card.fee_min, card.fee_max) == (2_000_000, 4_000_000)
    assert "from 2.000.000 đ to 4.000.000 đ" in card.summary and "6.000.000 đ" not in card.summary
    assert [f.amount for f in card.fees] == [4_000_000, 2_000_000] and all(f.note for f in card.fees)
    with translation.override("vi"):
        page = Client().get(reverse("portal:assistant"), {"q": "mở quán karaoke"}).content.decode()
    total = page.split('id="assistant-fee-total">')[1].split("</p>")[0]
    assert "6.000.000" not in total and "2.000.000 đ" in total and "4.000.000 đ" in total
    assert "<strong>6.000.000" not in page
    assert all(f.note in page for f in card.fees)
    data = Client().post("/api/v1/assistant/ask", {"question": "mở quán karaoke"},
                         content_type="application/json").json()["card"]
    assert (data["fee_total"], data["fee_min"], data["fee_max"]) == (None, 2_000_000, 4_000_000)
    assert "6.000.000" not in data["fee_total_label"] and "6.000.000" not in data["summary"]
    # one amount: still a total
    licence = ask("đổi bằng lái xe", log=False).card
    assert licence is not None and (licence.fee_total, licence.fee_min, licence.fee_max) == (135000, 135000, 135000)


def test_no_fee_listed_is_not_called_free_and_the_page_and_api_agree(world: Any) -> None:
    with translation.override("en"):
        land = ask("lam so do", log=False).card
        birth = ask("dang ky khai sinh cho con", log=False).card
    assert land is not None and land.fees == [] and land.fee_total == 0
    assert land.fee_total_label != "Free" and "free" not in land.summary
    assert birth is not None and birth.fees and all(f.amount == 0 for f in birth.fees)
    assert birth.fee_total_label == "Free" and "free" in birth.summary  # listed, all 0: free
    client = Client()
    label = client.post("/api/v1/assistant/ask", {"question": "lam so do"},
                        content_type="application/json").json()["card"]["fee_total_label"]
    page = client.get(reverse("portal:assistant"), {"q": "lam so do"}).content.decode()
    assert f'<p class="small" id="assistant-fee-total">{label}</p>' in page


def test_the_documents_and_places_are_worded_once(world: Any) -> None:
    client = Client()
    with translation.override("vi"):
        land = client.get(reverse("portal:assistant"), {"q": "lam so do"}).content.decode()
        near = client.get(reverse("portal:assistant"), {"q": "lam so do", "commune": "06652"}).content.decode()
        building = client.get(reverse("portal:assistant"), {"q": "xin giấy phép xây nhà"}).content.decode()
    card = ask("lam so do", log=False).card
    assert card is not None
    said = [d for d in card.documents if not d.required and "nếu có" in d.name]
    assert said and not any(d.show_optional for d in said)  # "(nếu có)" is in the name: no badge
    assert 'class="badge text-bg-secondary"' not in land.split('id="assistant-fees"')[0]
    documents = building.split('id="assistant-documents"')[1].split('id="assistant-fees"')[0]
    assert "(1 " in documents and "(2 " in documents  # the counts are there, only those above 0
    assert "(0 " not in documents and ", 0 " not in documents
    assert 'maxlength="500"' in land
    hint = 'id="assistant-own-commune"'
    assert hint in land and hint not in near  # the commune chosen: its point is listed, no "or your commune's"
    chosen = ask("lam so do", commune="06652", log=False).card
    assert chosen is not None and chosen.commune_chosen and not chosen.suggest_own_commune


def test_only_related_procedures_that_share_a_real_word_are_suggested(world: Any) -> None:
    weather = ask("thời tiết hôm nay thế nào", log=False)
    assert weather.status == AnswerStatus.NOT_SURE and weather.matches == []
    assert ask("dm cái thủ tục này", log=False).matches == []
    page = Client().get(reverse("portal:assistant"), {"q": "thời tiết hôm nay thế nào"}).content.decode()
    assert 'id="assistant-not-sure"' in page and 'id="assistant-others"' not in page
    building = ask("xin giấy phép xây nhà", log=False)
    assert building.card is not None and building.card.code == BUILDING
    assert LICENCE not in [m.code for m in building.matches]  # "giấy phép" alone is no relation
    assert LICENCE in [h.code for h in index.current().search("xin giấy phép xây nhà")]  # it did rank, unshown
    near = ask("dang ky xe may moi mua", log=False)  # not sure, but close: the licence is offered
    assert near.status == AnswerStatus.NOT_SURE and LICENCE in [m.code for m in near.matches]


def test_a_form_body_is_told_that_the_api_takes_json(world: Any) -> None:
    response = Client().post("/api/v1/assistant/ask", "question=lam+so+do",
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    data = response.json()
    assert data["error"] == "invalid_body" and "application/json" in str(data["message"])
    assert "JSON (" not in str(data["message"]).replace("JSON (Content-Type", "")  # no "(or a form)" promise


def test_the_index_is_built_in_advance(world: Any) -> None:
    index.forget()
    index.warm_up()
    built = index._state["index"]
    assert isinstance(built, index.Index) and built.key == index.catalogue_key()
    assert index.current() is built  # the first question does not build it again
