"""Satisfaction and feedback: ratings of returned dossiers, the QR surveys at the counters and on the receipts,
and the feedback/petition form answered by staff — as the citizen and the officer meet them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from motcua.accounts.models import Citizen
from motcua.agencies.models import Counter
from motcua.core.calendar import VN_TZ
from motcua.core.errors import ValidationFailed
from motcua.dossiers import slips
from motcua.feedback import selectors, services, tokens
from motcua.feedback.models import Petition, PetitionEvent, PetitionKind, Rating, RatingChannel
from tests.concurrency import at_once
from tests.factories import World, deliver_notifications, owned, receive, returned

User = get_user_model()


@pytest.fixture(autouse=True)
def fresh_cache(settings: Any, db: Any) -> Any:
    settings.PUBLIC_BASE_URL = ""
    cache.clear()
    yield
    cache.clear()


def citizen(username: str = "an.citizen", **fields: Any) -> Any:
    user = User.objects.create_user(username, password="motcua-demo")
    Citizen.objects.create(user=user, full_name=fields.pop("full_name", "Nguyễn Văn An"), **fields)
    return user


def english() -> Client:
    """A browser asking for English pages: the assertions read the English texts."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def signed_in(user: Any) -> Client:
    client = english()
    client.force_login(user)
    return client


ANSWERS = {"score": "5", "guidance_clear": "yes", "staff_courteous": "yes", "on_time": "no",
           "comment": "Nhanh, cán bộ nhiệt tình."}


# --- the applicant's rating of a returned dossier -----------------------------------------------------------


def test_only_the_applicant_rates_only_a_returned_dossier_only_once(world: World) -> None:
    owner = citizen()
    stranger = citizen("other.citizen", full_name="Trần Thị B")
    dossier = owned(world, owner)
    url = reverse("feedback:rate", args=[dossier.code])
    client = signed_in(owner)

    # before the result is returned: the panel says when, a rating is refused
    page = client.get(url)
    assert page.status_code == 200
    assert "once the result has been returned" in page.content.decode()
    assert 'name="score"' not in page.content.decode()
    assert client.post(url, ANSWERS).status_code == 409
    assert not Rating.objects.exists()

    dossier = returned(world, dossier)
    # others (signed in or not) cannot even see that the dossier exists
    assert signed_in(stranger).post(url, ANSWERS).status_code == 404
    assert english().post(url, ANSWERS).status_code == 404
    assert signed_in(world.users["tiepnhan"]).get(url).status_code == 404

    page = client.get(url)
    html = page.content.decode()
    assert html.count('type="radio" name="score"') == 5  # the score as five labelled radio buttons
    assert "<legend" in html and "Very satisfied" in html
    assert client.post(url, {**ANSWERS, "score": "9"}).status_code == 422
    assert client.post(url, {**ANSWERS, "comment": "x" * 1001}).status_code == 422

    response = client.post(url, {**ANSWERS, "next": "/somewhere/"})
    assert response.status_code == 302 and response["Location"] == "/somewhere/"
    rating = Rating.objects.get()
    assert (rating.channel, rating.score, rating.guidance_clear, rating.on_time) == (RatingChannel.ACCOUNT, 5,
                                                                                    True, False)
    assert rating.dossier == dossier and rating.agency == world.commune and rating.user == owner

    again = client.post(url, ANSWERS, HTTP_HX_REQUEST="true")
    assert again.status_code == 200  # htmx: the panel, saying it was rated
    assert "You rated this dossier 5/5" in again.content.decode()
    assert client.post(url, ANSWERS).status_code == 409
    assert Rating.objects.count() == 1
    with pytest.raises(services.Refused) as caught:
        services.rate_dossier(user=owner, dossier_code=dossier.code, answers=services.Answers(score=3))
    assert caught.value.code == "already_rated"


def test_the_panel_the_citizen_page_includes(world: World, rf: Any) -> None:
    from django.template.loader import render_to_string

    owner = citizen()
    dossier = returned(world, owned(world, owner))
    request = rf.get("/ho-so/x/")
    request.user = owner
    html = render_to_string("feedback/_dossier_panel.html", {"dossier": dossier, "request": request})
    assert reverse("feedback:rate", args=[dossier.code]) in html and 'name="score"' in html
    request.user = citizen("other.citizen")
    assert render_to_string("feedback/_dossier_panel.html", {"dossier": dossier, "request": request}).strip() == ""


# --- the counter survey -------------------------------------------------------------------------------------


def test_counter_survey_needs_no_login_and_is_throttled(world: World, settings: Any) -> None:
    first = Counter.objects.create(agency=world.commune, number=1, name="Quầy hộ tịch")
    Counter.objects.create(agency=world.commune, number=2, name="Quầy đất đai")
    url = reverse("feedback:counter_survey", args=[world.commune.identifier_code, 1])
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.7")
    page = visitor.get(url)
    assert page.status_code == 200
    assert "Quầy hộ tịch" in page.content.decode()
    assert 'name="phone"' not in page.content.decode() and 'name="email"' not in page.content.decode()

    assert visitor.post(url, {"comment": "no score"}).status_code == 422
    thanks = visitor.post(url, {"score": "4", "staff_courteous": "yes"})
    assert thanks.status_code == 200 and 'id="survey-thanks"' in thanks.content.decode()
    rating = Rating.objects.get()
    assert (rating.channel, rating.counter, rating.agency, rating.dossier) == (
        RatingChannel.COUNTER_QR, first, world.commune, None)

    again = visitor.post(url, {"score": "1"})
    assert again.status_code == 429 and "already recorded" in again.content.decode()
    assert Rating.objects.count() == 1
    # another counter, or another citizen on the same Wi-Fi (the same address), is not throttled
    assert visitor.post(reverse("feedback:counter_survey", args=[world.commune.identifier_code, 2]),
                        {"score": "3"}).status_code == 200
    assert Client(REMOTE_ADDR="203.0.113.7").post(url, {"score": "5"}).status_code == 200
    assert Rating.objects.count() == 3
    # ten minutes later the first visitor may answer again
    cache.delete(services.client_key(f"session:{visitor.session.session_key}", first))
    assert visitor.post(url, {"score": "2"}).status_code == 200
    # but one address cannot flood a counter: at most FEEDBACK_COUNTER_ADDRESS_LIMIT answers per period
    settings.FEEDBACK_COUNTER_ADDRESS_LIMIT = 3
    assert Client(REMOTE_ADDR="203.0.113.7").post(url, {"score": "1"}).status_code == 429
    assert english().get(reverse("feedback:counter_survey", args=[world.commune.identifier_code, 9])).status_code == 404


def test_counter_sheet_has_a_qr_code_per_counter(world: World) -> None:
    for number in (1, 2):
        Counter.objects.create(agency=world.commune, number=number, name=f"Quầy {number}")
    page = english().get(reverse("feedback:counter_sheet", args=[world.commune.identifier_code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") == 2
    assert f"http://testserver/danh-gia/quay/{world.commune.identifier_code}/2/" in html
    assert english().get(reverse("feedback:counter_sheet", args=["999.99.99.H99"])).status_code == 404


# --- the receipt survey -------------------------------------------------------------------------------------


def test_receipt_token_valid_tampered_and_used_twice(world: World) -> None:
    dossier = receive(world)
    token = tokens.receipt_token(dossier.code)
    assert tokens.dossier_code_of(token) == dossier.code
    url = reverse("feedback:receipt_survey", args=[token])
    visitor = english()
    page = visitor.get(url)
    assert page.status_code == 200 and world.commune.name in page.content.decode()
    assert dossier.applicant_name not in page.content.decode()  # nothing personal on a public page

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert visitor.get(reverse("feedback:receipt_survey", args=[tampered])).status_code == 404
    forged = dossier.code.replace("-0001", "-0002") + token[len(dossier.code):]
    assert visitor.post(reverse("feedback:receipt_survey", args=[forged]), {"score": "5"}).status_code == 404
    unknown = tokens.receipt_token("000.01.20.H22-261116-0099")  # signed, but no such dossier
    assert visitor.get(reverse("feedback:receipt_survey", args=[unknown])).status_code == 404
    assert not Rating.objects.exists()

    assert visitor.post(url, {"score": "4", "guidance_clear": "yes"}).status_code == 200
    rating = Rating.objects.get()
    assert (rating.channel, rating.dossier, rating.agency) == (RatingChannel.RECEIPT_QR, dossier, world.commune)
    twice = english().post(url, {"score": "1"})
    assert twice.status_code == 409
    assert "has already been rated" in twice.content.decode()
    assert "has already been rated" in english().get(url).content.decode()
    assert Rating.objects.count() == 1


def qr_codes(pdf: bytes) -> list[str]:
    found = []
    for page in pdfium.PdfDocument(pdf):
        found += [barcode.text for barcode in zxingcpp.read_barcodes(page.render(scale=3).to_pil())]
    return found


def test_the_receipt_carries_a_second_qr_code_to_the_survey(world: World, settings: Any) -> None:
    settings.PUBLIC_BASE_URL = "https://dichvucong.quangninh.gov.vn"
    dossier = receive(world)
    pdf = slips.render_slip(dossier, "receipt")
    codes = qr_codes(pdf)
    assert codes[0] == slips.tracking_url(dossier) == f"https://dichvucong.quangninh.gov.vn/tra-cuu/?ma={dossier.code}"
    codes = [code for code in codes if not code.startswith("000201")]  # the fee's VietQR while due: not this
    assert len(codes) == 2
    survey = urlparse(codes[1])
    assert survey.netloc == "dichvucong.quangninh.gov.vn"
    match = resolve(survey.path)
    assert match.view_name == "feedback:receipt_survey"
    assert tokens.dossier_code_of(match.kwargs["token"]) == dossier.code
    assert "Đánh giá sự hài lòng" in slips.render_slip_html(dossier, "receipt")
    assert english().get(survey.path).status_code == 200
    # the other slips keep their one QR code
    assert len(qr_codes(slips.render_slip(dossier, "control"))) == 1


# --- feedback and petitions ---------------------------------------------------------------------------------


PETITION = {"kind": "feedback", "agency": "000.01.20.H22", "subject": "Xếp hàng quá lâu ở quầy hộ tịch",
            "body": "Sáng 16/11 tôi chờ hơn hai giờ mới được tiếp nhận hồ sơ.", "sender_name": "Lê Thị Hoa",
            "phone": "0987 654 321", "email": "hoa.le@example.vn", "consent_to_publish": "on"}


def submit(data: dict[str, str] | None = None, client: Client | None = None) -> Petition:
    client = client or english()
    response = client.post(reverse("feedback:petition"), data or PETITION)
    assert response.status_code == 302, response.content.decode()
    sent = client.get(response["Location"])
    petition = Petition.objects.order_by("-pk").first()
    assert petition is not None and petition.code in sent.content.decode()
    return petition


def test_petition_is_answered_by_its_agency_published_with_consent_and_the_sender_told(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    petition = submit()
    assert petition.code == f"PAKN-{timezone.now().astimezone(VN_TZ).year}-000001"
    assert petition.agency == world.commune and petition.status == "received" and petition.sender_user is None

    # the staff of another agency neither see it nor may answer it
    justice = signed_in(world.users["tuphap"])
    staff_url = reverse("feedback_staff:petition", args=[petition.code])
    assert petition.code not in justice.get(reverse("feedback_staff:petitions")).content.decode()
    assert justice.get(staff_url).status_code == 404
    assert justice.post(staff_url, {"answer": "x"}).status_code == 404
    assert english().get(staff_url).status_code == 302  # to the sign-in

    officer = signed_in(world.users["tiepnhan"])
    listing = officer.get(reverse("feedback_staff:petitions")).content.decode()
    assert petition.code in listing
    page = officer.get(staff_url).content.decode()
    assert "Lê Thị Hoa" in page and "hoa.le@example.vn" in page  # the staff who answer see the sender
    answer = "Trung tâm đã bố trí thêm một quầy hộ tịch từ ngày 20/11. Xin cảm ơn ông/bà."
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(staff_url, {"answer": answer, "publish": "on"})
    assert response.status_code == 302
    petition.refresh_from_db()
    assert (petition.status, petition.answer, petition.published) == ("answered", answer, True)
    assert petition.answered_by == world.users["tiepnhan"] and petition.answered_at is not None
    assert petition.published_by == world.users["tiepnhan"] and petition.published_at is not None
    assert list(PetitionEvent.objects.filter(petition=petition).values_list("action", "actor__username")) == [
        ("submit", None), ("answer", "tiepnhan"), ("publish", "tiepnhan")]
    deliver_notifications(hooks=False)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hoa.le@example.vn"] and petition.code in message.subject
    assert answer in message.body and reverse("feedback:petition_lookup") in message.body

    public = english().get(reverse("feedback:published")).content.decode()
    assert PETITION["subject"] in public and answer in public and world.commune.name in public
    assert "Lê Thị Hoa" not in public and "hoa.le@example.vn" not in public and "654" not in public

    # the sender follows it with the code and the contact given
    lookup = reverse("feedback:petition_lookup")
    found = english().post(lookup, {"ma": petition.code, "contact": "+84987654321"})
    assert found.status_code == 200 and answer in found.content.decode()
    assert english().post(lookup, {"ma": petition.code, "contact": "HOA.LE@example.vn"}).status_code == 200
    assert english().post(lookup, {"ma": petition.code, "contact": "0900000000"}).status_code == 404

    # saving the same answer again only unpublishes: no second message
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(staff_url, {"answer": answer})
    petition.refresh_from_db()
    deliver_notifications(hooks=False)
    assert not petition.published and len(mail.outbox) == 1
    assert PETITION["subject"] not in english().get(reverse("feedback:published")).content.decode()


def test_publication_without_consent_is_refused(world: World, django_capture_on_commit_callbacks: Any) -> None:
    petition = submit({**PETITION, "consent_to_publish": "", "email": ""})
    officer = signed_in(world.users["tiepnhan"])
    staff_url = reverse("feedback_staff:petition", args=[petition.code])
    page = officer.get(staff_url).content.decode()
    assert 'id="publish"' in page and "did not agree to publication" in page
    refused = officer.post(staff_url, {"answer": "Đã tiếp thu.", "publish": "on"})
    assert refused.status_code == 409
    petition.refresh_from_db()
    assert petition.status == "received" and not petition.published
    with pytest.raises(services.Refused):
        services.answer_petition(actor=world.actor("tiepnhan"), code=petition.code, answer="Đã tiếp thu.",
                                 publish=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert officer.post(staff_url, {"answer": "Đã tiếp thu."}).status_code == 302
    petition.refresh_from_db()
    assert petition.status == "answered" and not petition.published
    deliver_notifications(hooks=False)
    assert mail.outbox == []  # no email given: the answer goes by SMS only
    assert PETITION["subject"] not in english().get(reverse("feedback:published")).content.decode()


def test_petition_form_validation_and_prefill(world: World) -> None:
    url = reverse("feedback:petition")
    response = english().post(url, {**PETITION, "phone": "", "email": ""})
    assert response.status_code == 422
    assert "phone number or an email" in response.content.decode()
    assert not Petition.objects.exists()
    bad = english().post(url, {**PETITION, "phone": "12", "email": "not-an-email", "dossier_code": "HS-1",
                              "agency": "999.99.99.H99", "kind": "other", "subject": ""})
    codes = {"invalid_phone", "invalid_email", "invalid_dossier_code", "agency_required", "kind_required",
             "required"}
    with pytest.raises(ValidationFailed) as caught:
        services.submit_petition(data=services.PetitionIn(
            kind="other", subject="", body="b", agency="999.99.99.H99", sender_name="A", phone="12",
            email="not-an-email", dossier_code="HS-1"))
    assert {e.code for e in caught.value.errors} == codes
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.content.decode()

    user = citizen(phone="0912345678", email="an@example.vn")
    form = signed_in(user).get(url).content.decode()
    assert 'value="Nguyễn Văn An"' in form and 'value="0912345678"' in form and 'value="an@example.vn"' in form
    petition = submit({**PETITION, "sender_name": "Nguyễn Văn An", "email": "", "phone": "0912345678"},
                      signed_in(user))
    assert petition.sender_user == user
    second = submit({**PETITION, "kind": "petition"})
    assert second.code.endswith("-000002")


# --- the staff's ratings page and the index's selector ------------------------------------------------------


def test_satisfaction_selector_and_the_staff_ratings_page(world: World) -> None:
    now = timezone.now()
    counter = Counter.objects.create(agency=world.commune, number=1, name="Quầy 1")
    for score, channel, days_ago in [(5, "counter_qr", 1), (4, "counter_qr", 2), (2, "counter_qr", 3),
                                     (3, "receipt_qr", 4), (5, "counter_qr", 40)]:
        Rating.objects.create(score=score, channel=channel, agency=world.commune, counter=counter,
                              created_at=now - timedelta(days=days_ago))
    Rating.objects.create(score=1, channel="counter_qr", agency=world.justice, created_at=now - timedelta(days=1))
    Petition.objects.create(code="PAKN-2026-000901", kind=PetitionKind.FEEDBACK, subject="s", body="b",
                            agency=world.commune, sender_name="A", sender_phone="0912345678")
    Petition.objects.create(code="PAKN-2026-000902", kind=PetitionKind.PETITION, subject="s", body="b",
                            agency=world.commune, sender_name="A", sender_phone="0912345678")

    figures = selectors.satisfaction([world.commune.pk], now - timedelta(days=30), now + timedelta(seconds=1))
    assert figures.ratings == 4 and figures.average == 3.5
    assert figures.satisfied == 2 and figures.share_satisfied == 0.5
    assert figures.by_score == {1: 0, 2: 1, 3: 1, 4: 1, 5: 1}
    assert figures.by_channel == {"account": 0, "counter_qr": 3, "receipt_qr": 1}
    assert (figures.complaints, figures.petitions) == (1, 2)
    empty = selectors.satisfaction([], now - timedelta(days=30), now)
    assert (empty.ratings, empty.average, empty.share_satisfied, empty.complaints) == (0, None, None, 0)

    page = signed_in(world.users["tiepnhan"]).get(reverse("feedback_staff:ratings")).content.decode()
    assert 'id="rating-count">4<' in page and "3.50/5" in page.replace(",", ".")
    other = signed_in(world.users["tuphap"]).get(reverse("feedback_staff:ratings")).content.decode()
    assert 'id="rating-count">1<' in other and "Quầy 1" not in other


def test_the_sender_receives_the_code_of_their_petition(world: World) -> None:
    petition = submit()
    deliver_notifications()
    received = [m for m in mail.outbox if petition.code in m.subject]
    assert len(received) == 1 and received[0].to == ["hoa.le@example.vn"]
    assert reverse("feedback:petition_lookup") in received[0].body


# --- rated once ---------------------------------------------------------------------------------------------------
# A dossier is rated once, from the applicant's account or with its receipt's QR code: not once by each.


@pytest.fixture
def rated_dossier(world: World) -> Any:
    owner = citizen()
    return owner, returned(world, owned(world, owner))


@pytest.mark.django_db
def test_rated_from_the_account_the_receipt_survey_is_refused(rated_dossier: Any) -> None:
    owner, dossier = rated_dossier
    assert signed_in(owner).post(reverse("feedback:rate", args=[dossier.code]), ANSWERS).status_code == 200
    url = reverse("feedback:receipt_survey", args=[tokens.receipt_token(dossier.code)])
    assert "has already been rated" in english().get(url).content.decode()
    twice = english().post(url, {"score": "1"})
    assert twice.status_code == 409 and "each dossier is rated once" in twice.content.decode()
    assert Rating.objects.get().channel == RatingChannel.ACCOUNT


@pytest.mark.django_db
def test_rated_with_the_receipt_the_account_shows_it_and_refuses_another(rated_dossier: Any) -> None:
    owner, dossier = rated_dossier
    services.rate_receipt(token=tokens.receipt_token(dossier.code), answers=services.Answers(score=4))
    client = signed_in(owner)
    url = reverse("feedback:rate", args=[dossier.code])
    page = client.get(url).content.decode()
    assert "You rated this dossier 4/5" in page and 'name="score"' not in page
    refused = client.post(url, ANSWERS)
    assert refused.status_code == 409 and "You rated this dossier 4/5" in refused.content.decode()
    with pytest.raises(services.AlreadyRated) as caught:
        services.rate_dossier(user=owner, dossier_code=dossier.code, answers=services.Answers(score=5))
    assert caught.value.code == "already_rated" and caught.value.messages()["vi"]
    assert Rating.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_rating_of_a_dossier(rated_dossier: Any) -> None:
    _owner, dossier = rated_dossier
    first = Rating.objects.create(score=5, channel=RatingChannel.ACCOUNT, dossier=dossier,
                                  agency_id=dossier.receiving_agency_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(score=1, channel=RatingChannel.RECEIPT_QR, dossier=dossier,
                              agency_id=dossier.receiving_agency_id)
    Rating.objects.create(score=3, channel=RatingChannel.COUNTER_QR, agency_id=dossier.receiving_agency_id)
    Rating.objects.create(score=3, channel=RatingChannel.COUNTER_QR, agency_id=dossier.receiving_agency_id)
    assert list(Rating.objects.filter(dossier=dossier)) == [first]  # counter surveys are tied to no dossier


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections")
def test_two_ratings_at_the_same_moment_one_is_kept_the_other_is_told(world: World) -> None:
    owner = citizen()
    dossier = returned(world, owned(world, owner))
    token = tokens.receipt_token(dossier.code)

    def rate(index: int) -> Any:
        if index % 2:
            return services.rate_receipt(token=token, answers=services.Answers(score=2))
        return services.rate_dossier(user=owner, dossier_code=dossier.code, answers=services.Answers(score=5))

    results = at_once(4, rate)
    kept = [r for r in results if isinstance(r, Rating)]
    refused = [r for r in results if isinstance(r, services.AlreadyRated)]
    assert len(kept) == 1 and len(refused) == 3, results
    assert Rating.objects.filter(dossier=dossier).count() == 1
