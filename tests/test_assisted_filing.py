"""Assisted filing (nộp hộ, issue 15), against the real population simulator process: a postal worker checks an
elderly citizen's identity, she agrees by the code sent to her phone (or a signed authorization), the postal
worker fills the online wizard on her behalf and the dossier lands in her account, with the log saying who filed
it; a consent withdrawn, expired, wrong or another's is refused with its own error and nothing is lost."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from PIL import Image

from motcua.accounts import assisted
from motcua.accounts.models import AssistedConsent, AssistedConsentLog, Citizen, ConsentAction, ConsentMethod
from motcua.agencies.models import Agency, Membership, Role
from motcua.dossiers.audit import verify_dossier
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.statuses import EventKind
from motcua.integrations.models import PopulationLookup
from motcua.integrations.population import people
from motcua.notifications.models import Notification
from motcua.portal.models import Draft
from tests.factories import World, make_citizen, pdf_bytes, sign_in
from tests.population_sim import PopulationSim, population_fixture, population_sim_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

LAN = people.DEMO_PEOPLE[4]  # Vũ Thị Lan, 022141000088, 19/08/1941: no account yet
HUONG = people.DEMO_PEOPLE[0]
PHONE = "0912000005"
CODE = "1.000894"
DETAILS = {"applicant_address": "Tổ 2, khu 1, phường Hà Tu", "receiving_agency": "000.01.20.H22"}


@pytest.fixture
def world(db: Any, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return World()


def staff(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password="motcua-demo")
    return client


def identify(client: Client, person: people.Person = LAN, phone: str = PHONE, **overrides: str) -> Any:
    return client.post("/workspace/assisted/", {"id_number": person.id_number, "full_name": person.full_name,
                                               "date_of_birth": person.date_of_birth.isoformat(), "phone": phone,
                                               **overrides})


def opened(client: Client, person: people.Person = LAN, phone: str = PHONE) -> AssistedConsent:
    response = identify(client, person, phone)
    assert response.status_code == 302, response.content.decode()[:3000]
    consent = AssistedConsent.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))
    return consent


def sent_code(phone: str = PHONE) -> str:
    sms = Notification.objects.filter(recipient=phone, template="assisted_code").order_by("-pk").first()
    assert sms is not None
    match = re.search(r"\b(\d{6})\b", sms.body)
    assert match, sms.body
    return match.group(1)


def post(client: Client, consent: AssistedConsent, **data: Any) -> Any:
    return client.post(f"/workspace/assisted/{consent.pk}/", data)


def granted(client: Client, person: people.Person = LAN) -> AssistedConsent:
    consent = opened(client, person)
    assert post(client, consent, action="send_code").status_code == 302
    assert post(client, consent, action="confirm", code=sent_code(consent.citizen.phone)).status_code == 302
    consent.refresh_from_db()
    assert consent.active
    return consent


def png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (200, 120), (200, 30, 30)).save(out, format="PNG")
    out.seek(0)
    out.name = "to-khai.png"
    return out


def step(draft: Any, name: str) -> str:
    return f"/nop-ho-so/ho-so-nhap/{draft}/{name}/"


def start_draft(client: Client, consent: AssistedConsent) -> str:
    response = client.post(f"/nop-ho/{consent.pk}/bat-dau/", {"procedure": CODE})
    assert response.status_code == 302 and "/ho-so-nhap/" in response["Location"], response.get("Location")
    return response["Location"].rsplit("/", 3)[-3]


def fill(client: Client, draft: str) -> None:
    response = client.post(step(draft, "details"), DETAILS)
    assert response.status_code == 302, re.findall(r'id="([^"]*-error)"', response.content.decode())
    response = client.post(step(draft, "documents"), {"c1-file": png(), "continue": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.post(step(draft, "delivery"), {"delivery": "electronic"}).status_code == 302


def test_a_postal_worker_files_for_a_citizen_without_an_account_who_confirms_by_a_code(
        world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    consent = opened(postal)
    # she had no account: one is made from her verified identity (the database's spelling), not yet usable
    lan = Citizen.objects.get(id_number=LAN.id_number)
    assert lan.full_name == LAN.full_name and lan.identity_verified_at is not None and lan.phone == PHONE
    assert lan.date_of_birth == LAN.date_of_birth and not lan.user.has_usable_password()
    assert consent.citizen == lan and consent.agency == world.post and not consent.granted
    assert PopulationLookup.objects.filter(agency=world.post, user=lan.user).exists()

    # nothing can be filed before she agrees
    refused = postal.post(f"/nop-ho/{consent.pk}/bat-dau/", {"procedure": CODE})
    assert refused.status_code == 302 and not Draft.objects.exists()

    assert post(postal, consent, action="send_code").status_code == 302
    sms = Notification.objects.get(template="assisted_code")
    assert sms.recipient == PHONE and sms.user == lan.user
    code = sent_code()
    consent.refresh_from_db()
    assert code not in consent.code_hash and consent.code_expires_at is not None  # only a keyed hash is stored
    assert post(postal, consent, action="confirm", code=code).status_code == 302
    consent.refresh_from_db()
    lan.refresh_from_db()
    assert consent.active and consent.method == ConsentMethod.CODE and lan.phone_verified_at is not None
    assert consent.expires_at is not None and consent.expires_at - consent.granted_at == timedelta(hours=24)

    draft = start_draft(postal, consent)
    with translation.override("vi"):
        page = postal.get(step(draft, "details")).content.decode()
    assert 'id="assisted-banner"' in page and LAN.full_name in page
    fill(postal, draft)
    response = postal.post(step(draft, "review"), {"declare": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302, re.findall(r'alert-danger[^>]*>(.{0,400})', response.content.decode(), re.S)
    assert response["Location"] == f"/workspace/assisted/{consent.pk}/"

    dossier = Dossier.objects.get()
    assert dossier.applicant_user_id == lan.user_id and dossier.channel == "online"
    assert dossier.applicant_id_number == LAN.id_number and dossier.applicant_name == LAN.full_name
    assert dossier.identity_verified
    submit = Event.objects.get(dossier=dossier, action=EventKind.SUBMIT)
    assert submit.actor_id == world.users["buudien"].pk
    assert submit.data["on_behalf"] == {"consent": consent.pk, "method": "code", "staff": world.users["buudien"].pk,
                                        "agency": world.post.pk}
    assert "Nộp hộ" in submit.note and LAN.full_name in submit.note
    assert list(verify_dossier(dossier, list(Event.objects.filter(dossier=dossier).order_by("seq")))) == []
    assert list(AssistedConsentLog.objects.filter(consent=consent).values_list("action", flat=True).order_by(
        "pk")) == [ConsentAction.OPENED, ConsentAction.CODE_SENT, ConsentAction.GRANTED, ConsentAction.USED]
    assert AssistedConsentLog.objects.get(action=ConsentAction.USED).dossier == dossier

    # her account has no password: she signs in with a code sent to her (now verified) phone, and sees it there,
    # saying who filed it for her
    her = Client()
    stranger = her.post("/tai-khoan/dang-nhap-bang-ma/", {"phone": "0912999999"})
    assert stranger.status_code == 200 and 'id="code-sent"' in stranger.content.decode()  # the same answer
    assert not Notification.objects.filter(recipient="0912999999").exists()
    assert her.post("/tai-khoan/dang-nhap-bang-ma/", {"phone": "0912 000 005"}).status_code == 200
    sms = Notification.objects.filter(recipient=PHONE, template="sign_in_code").get()
    login_code = re.search(r"\b(\d{6})\b", sms.body).group(1)  # type: ignore[union-attr]
    wrong = her.post("/tai-khoan/dang-nhap-bang-ma/", {"phone": PHONE, "action": "verify",
                                                       "code": "000000" if login_code != "000000" else "111111"})
    assert wrong.status_code == 400 and "_auth_user_id" not in her.session
    signed = her.post("/tai-khoan/dang-nhap-bang-ma/", {"phone": PHONE, "action": "verify", "code": login_code})
    assert signed.status_code == 302 and int(her.session["_auth_user_id"]) == lan.user_id
    assert dossier.code in her.get("/ho-so-cua-toi/").content.decode()
    with translation.override("vi"):
        page = her.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert 'id="filed-on-behalf"' in page and world.post.name in page
    # and the officer's page lists it
    assert dossier.code in postal.get(f"/workspace/assisted/{consent.pk}/").content.decode()


def test_a_signed_authorization_is_checked_like_any_upload(world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    consent = opened(postal)
    fake = post(postal, consent, action="upload",
                authorization=SimpleUploadedFile("uy-quyen.pdf", b"not a pdf", content_type="application/pdf"))
    assert fake.status_code == 422
    consent.refresh_from_db()
    assert not consent.granted
    ok = post(postal, consent, action="upload",
              authorization=SimpleUploadedFile("uy-quyen.pdf", pdf_bytes("giấy ủy quyền"),
                                               content_type="application/pdf"))
    assert ok.status_code == 302
    consent.refresh_from_db()
    assert consent.active and consent.method == ConsentMethod.AUTHORIZATION and consent.authorization_sha256
    with consent.authorization.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")


def test_wrong_expired_and_too_many_codes_are_refused(world: World, population: PopulationSim, settings: Any) -> None:
    postal = staff("buudien")
    consent = opened(postal)
    actor = world.actor("buudien")
    assisted.send_code(actor=actor, consent_id=consent.pk)
    right = sent_code()
    wrong = "000000" if right != "000000" else "111111"
    with pytest.raises(assisted.MotCuaError) as error:
        assisted.confirm_code(actor=actor, consent_id=consent.pk, code=wrong)
    assert error.value.code == "wrong_code" and error.value.params == {"left": 4}
    for _try in range(4):
        with pytest.raises(assisted.MotCuaError):
            assisted.confirm_code(actor=actor, consent_id=consent.pk, code=wrong)
    with pytest.raises(assisted.MotCuaError) as error:  # five wrong: even the right code is refused now
        assisted.confirm_code(actor=actor, consent_id=consent.pk, code=right)
    assert error.value.code == "too_many_attempts"
    with pytest.raises(assisted.MotCuaError) as error:  # a new code at once would flood her phone
        assisted.send_code(actor=actor, consent_id=consent.pk)
    assert error.value.code == "resend_too_soon"

    AssistedConsent.objects.filter(pk=consent.pk).update(code_sent_at=timezone.now() - timedelta(minutes=2))
    assisted.send_code(actor=actor, consent_id=consent.pk)
    fresh = sent_code()
    AssistedConsent.objects.filter(pk=consent.pk).update(code_expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(assisted.MotCuaError) as error:
        assisted.confirm_code(actor=actor, consent_id=consent.pk, code=fresh)
    assert error.value.code == "code_expired"
    consent.refresh_from_db()
    assert not consent.granted
    assert AssistedConsentLog.objects.filter(consent=consent, action=ConsentAction.WRONG_CODE).count() == 5


def test_a_withdrawn_consent_stops_the_next_step_and_keeps_the_draft(world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    consent = granted(postal)
    draft = start_draft(postal, consent)
    assert postal.post(step(draft, "details"), DETAILS).status_code == 302

    lan = consent.citizen
    her = Client()
    sign_in(her, lan)
    with translation.override("vi"):
        profile = her.get("/tai-khoan/").content.decode()
    assert f'data-withdraw="{consent.pk}"' in profile
    assert her.post("/tai-khoan/", {"form": "withdraw_consent", "consent": consent.pk}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn

    refused = postal.post(step(draft, "documents"), {"c1-file": png(), "continue": "1"})
    assert refused.status_code == 403 and 'data-error="consent_withdrawn"' in refused.content.decode()
    refused = postal.post(step(draft, "review"), {"declare": "1"})
    assert refused.status_code == 403 and not Dossier.objects.exists()
    with pytest.raises(assisted.ConsentWithdrawn):
        assisted.usable(actor=world.actor("buudien"), consent_id=consent.pk)
    # nothing lost: the draft and what was typed are hers, and she can go on with it herself
    kept = Draft.objects.get(pk=draft)
    assert kept.owner == lan.user and kept.data["applicant"]["address"] == DETAILS["applicant_address"]
    assert her.get(step(draft, "documents")).status_code == 200
    assert AssistedConsentLog.objects.filter(consent=consent, action=ConsentAction.REFUSED).count() >= 2
    assert AssistedConsentLog.objects.filter(consent=consent, action=ConsentAction.WITHDRAWN).exists()


def test_an_expired_consent_is_refused(world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    consent = granted(postal)
    draft = start_draft(postal, consent)
    AssistedConsent.objects.filter(pk=consent.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = postal.get(step(draft, "details"))
    assert response.status_code == 403 and 'data-error="consent_expired"' in response.content.decode()
    assert Draft.objects.filter(pk=draft).exists()


def test_another_staff_member_or_agency_cannot_use_a_consent(world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    consent = granted(postal)
    draft = start_draft(postal, consent)
    other = staff("tiepnhan")  # reception at the commune center: another agency
    assert other.get(f"/workspace/assisted/{consent.pk}/").status_code == 404
    assert other.get(step(draft, "details")).status_code == 404
    assert other.post(f"/nop-ho/{consent.pk}/bat-dau/", {"procedure": CODE}).status_code == 302
    assert Draft.objects.count() == 1
    with pytest.raises(assisted.ConsentNotYours):
        assisted.usable(actor=world.actor("tiepnhan"), consent_id=consent.pk)
    # the postal worker moved to another agency: the consent given for the post office no longer serves
    Membership.objects.filter(user=world.users["buudien"]).update(agency=world.commune, role=Role.RECEPTION)
    response = postal.get(step(draft, "details"))
    assert response.status_code == 403 and 'data-error="consent_not_yours"' in response.content.decode()
    # and a processing officer may not start assisted filing at all
    assert staff("chuyenvien").post("/workspace/assisted/", {"id_number": LAN.id_number}).status_code == 403


def test_an_existing_verified_account_is_used_and_a_mismatch_creates_nothing(
        world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    mismatch = identify(postal, full_name="Vũ Thị Lân")
    assert mismatch.status_code in (400, 422) and not Citizen.objects.exists() and not AssistedConsent.objects.exists()
    huong = make_citizen(full_name=HUONG.full_name, id_number=HUONG.id_number, phone="0912000001")
    Citizen.objects.filter(pk=huong.pk).update(identity_verified_at=timezone.now())
    consent = opened(postal, HUONG, phone="")
    assert consent.citizen == huong and Citizen.objects.count() == 1 and consent.phone == "0912000001"
    # a phone that belongs to someone else's account is refused: her code would go to a stranger
    taken = identify(postal, LAN, phone="0912000001")
    assert taken.status_code == 422 and not Citizen.objects.filter(id_number=LAN.id_number).exists()


def test_the_officer_pages_and_her_account_page_cost_the_same_queries_for_one_or_many_consents(
        world: World, population: PopulationSim, django_assert_max_num_queries: Any) -> None:
    postal = staff("buudien")
    consent = granted(postal)
    her = Client()
    sign_in(her, consent.citizen)

    def load() -> None:
        assert postal.get("/workspace/assisted/").status_code == 200
        assert postal.get(f"/workspace/assisted/{consent.pk}/").status_code == 200
        assert her.get("/tai-khoan/").status_code == 200

    with django_assert_max_num_queries(60) as one:
        load()
    for _ in range(12):
        assisted.open_consent(actor=world.actor("buudien"), agency=Agency.objects.get(pk=world.post.pk),
                              citizen=consent.citizen, now=timezone.now())
    with django_assert_max_num_queries(len(one.captured_queries)):
        load()


def test_only_the_trial_mode_shows_the_sms_on_the_officers_page(world: World, population: PopulationSim,
                                                                settings: Any) -> None:
    postal = staff("buudien")
    consent = opened(postal)
    post(postal, consent, action="send_code")
    code = sent_code()
    assert 'id="demo-sms"' not in postal.get(f"/workspace/assisted/{consent.pk}/").content.decode()
    settings.DEMO_MODE = True
    page = postal.get(f"/workspace/assisted/{consent.pk}/").content.decode()
    assert 'id="demo-sms"' in page and code in page


def test_a_dossier_filed_on_a_citizens_behalf_is_online_never_a_home_pickup(
        world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    draft = start_draft(postal, granted(postal))
    page = postal.get(step(draft, "details")).content.decode()
    assert 'name="handin"' not in page
    postal.post(step(draft, "details"), {**DETAILS, "handin": "pickup"})
    assert Draft.objects.get(pk=draft).data["handin"] == "online"


def test_the_admin_shows_consents_read_only(world: World, population: PopulationSim, admin_client: Client) -> None:
    postal = staff("buudien")
    consent = granted(postal)
    page = admin_client.get(f"/admin/accounts/assistedconsent/{consent.pk}/change/")
    assert page.status_code == 200 and LAN.full_name in page.content.decode()
    assert admin_client.get("/admin/accounts/assistedconsent/add/").status_code == 403


def test_a_sign_in_code_goes_only_to_a_verified_phone_and_says_nothing_of_accounts(world: World) -> None:
    unverified = make_citizen(full_name="Trần Văn Bình", id_number="022090007777", phone="0912000077",
                              verified=False)
    verified = make_citizen(full_name="Lê Thị Cúc", id_number="022190008888", phone="0912000088")
    client = Client()
    for phone in ("0912000077", "0912000088", "0912000099"):
        response = client.post("/tai-khoan/dang-nhap-bang-ma/", {"phone": phone})
        assert response.status_code == 200 and 'id="code-sent"' in response.content.decode()
    assert list(Notification.objects.values_list("recipient", flat=True)) == ["0912000088"]
    refused = client.post("/tai-khoan/dang-nhap-bang-ma/", {"phone": "0912000077", "action": "verify",
                                                            "code": "123456"})
    assert refused.status_code == 400 and "_auth_user_id" not in client.session
    assert unverified.user.has_usable_password() and verified.phone_verified_at is not None


# --- what a first user found (the consent's words, whose banner, whose agency, the officer's wording) ----------


def test_the_consents_badge_and_withdraw_button_speak_of_the_consent_and_ask_to_confirm(
        world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    consent = granted(postal)
    her = Client()
    sign_in(her, consent.citizen)
    with translation.override("vi"):
        profile = her.get("/tai-khoan/").content.decode()
        officer = postal.get(f"/workspace/assisted/{consent.pk}/").content.decode()
    section = profile[profile.index('id="consents-title"'):]
    # "Withdraw" and "given" meant the dossier's withdrawal and a delivery ("Rút hồ sơ", "đã giao")
    assert "Rút hồ sơ" not in section and "đã giao" not in section and "đã giao" not in officer
    assert 'data-state="active"' in section and 'data-state="active"' in officer
    # the button only opens a confirmation; the form's own button withdraws
    assert re.search(rf'<summary[^>]*data-withdraw="{consent.pk}"', section)
    assert f'data-confirm-withdraw="{consent.pk}"' in section
    # how she agreed, in her words: not "the citizen's phone"
    assert "của công dân" not in section
    with translation.override("en"):
        assert "a code sent to your phone" in her.get("/tai-khoan/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_only_the_officer_sees_filing_on_her_behalf_the_citizen_sees_who_started_her_draft(
        world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    consent = granted(postal)
    draft = start_draft(postal, consent)
    with translation.override("vi"):
        officer = postal.get(step(draft, "details")).content.decode()
    assert 'id="assisted-banner"' in officer and 'id="started-for-you"' not in officer
    assert "Thông tin của bạn" not in officer  # the first step is the citizen's details, not the officer's
    her = Client()
    sign_in(her, consent.citizen)
    assert her.post("/tai-khoan/", {"form": "withdraw_consent", "consent": consent.pk}).status_code == 302
    with translation.override("vi"):
        own = her.get(step(draft, "details"))
    page = own.content.decode()
    assert own.status_code == 200 and 'id="assisted-banner"' not in page and "Đang nộp hộ" not in page
    assert 'id="started-for-you"' in page and world.post.name in page
    assert "Thông tin của bạn" in page


def test_the_history_names_the_officer_and_their_agency_for_the_submission_and_the_uploads(
        world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    consent = granted(postal)
    draft = start_draft(postal, consent)
    fill(postal, draft)
    assert postal.post(step(draft, "review"), {"declare": "1"}).status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.receiving_agency_id != world.post.pk
    submit = Event.objects.get(dossier=dossier, action=EventKind.SUBMIT)
    assert submit.agency_id == world.post.pk  # the consent's agency (the post office), not the receiving point
    uploads = list(Event.objects.filter(dossier=dossier, action=EventKind.ATTACH))
    assert uploads and all(e.actor_id == world.users["buudien"].pk and e.agency_id == world.post.pk
                           for e in uploads)
    assert all(e.data["on_behalf"]["consent"] == consent.pk and e.data["filed_on_behalf_by"] == e.actor_id
               for e in uploads)
    assert list(verify_dossier(dossier, list(Event.objects.filter(dossier=dossier).order_by("seq")))) == []
    # the citizen can still see and open her documents
    her = Client()
    sign_in(her, consent.citizen)
    assert her.get(f"/ho-so-cua-toi/{dossier.code}/").status_code == 200


def test_the_officer_is_told_of_the_citizens_id_card_not_their_own(world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    known = set(people.population())
    unknown = next(n for n in (f"022141{i:06d}" for i in range(999999, 0, -1)) if n not in known)
    with translation.override("vi"):
        mismatch = identify(postal, full_name="Vũ Thị Lân").content.decode()
        missing = identify(postal, id_number=unknown).content.decode()
    for page in (mismatch, missing):
        assert "căn cước của bạn" not in page and "is-invalid" in page
    postal.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        mismatch = identify(postal, full_name="Vũ Thị Lân").content.decode()
        missing = identify(postal, id_number=unknown).content.decode()
    assert "exactly as on the citizen&#x27;s ID card" in mismatch and "your citizen ID card" not in mismatch
    assert "12 digits on the citizen&#x27;s ID card" in missing and "on your ID" not in missing
    assert not AssistedConsent.objects.exists()


def test_the_procedure_is_chosen_not_defaulted_and_post_only_addresses_lead_somewhere(
        world: World, population: PopulationSim) -> None:
    postal = staff("buudien")
    consent = granted(postal)
    page = postal.get(f"/workspace/assisted/{consent.pk}/").content.decode()
    assert re.search(r'<select[^>]*id="procedure"[^>]*>\s*<option value="" selected>', page)
    empty = postal.post(f"/nop-ho/{consent.pk}/bat-dau/", {"procedure": ""}, follow=True)
    assert empty.status_code == 200 and not Draft.objects.exists()
    with translation.override("en"):
        told = postal.post(f"/nop-ho/{consent.pk}/bat-dau/", {"procedure": ""}, follow=True,
                           HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Choose the procedure to file for the citizen." in told
    # opened directly (GET), the POST-only addresses lead to the page where the action is
    opened_directly = postal.get(f"/nop-ho/{consent.pk}/bat-dau/")
    assert opened_directly.status_code == 302 and opened_directly["Location"] == f"/workspace/assisted/{consent.pk}/"
    draft = start_draft(postal, consent)
    her = Client()
    sign_in(her, consent.citizen)
    restart = her.get(f"/nop-ho-so/ho-so-nhap/{draft}/lam-lai/")
    assert restart.status_code == 302 and restart["Location"] == step(draft, "details")
    assert Draft.objects.count() == 1


def test_her_dossier_list_marks_those_filed_on_her_behalf_without_a_query_per_row(
        world: World, population: PopulationSim, django_assert_max_num_queries: Any) -> None:
    postal = staff("buudien")
    consent = granted(postal)
    draft = start_draft(postal, consent)
    fill(postal, draft)
    assert postal.post(step(draft, "review"), {"declare": "1"}).status_code == 302
    filed = Dossier.objects.get()
    her = Client()
    sign_in(her, consent.citizen)
    with django_assert_max_num_queries(40) as one:
        page = her.get("/ho-so-cua-toi/").content.decode()
    assert f'data-on-behalf="{filed.code}"' in page
    budget = len(one.captured_queries)  # read now: the log is a bounded deque
    for _ in range(3):  # more of them: the same number of queries
        other = start_draft(postal, consent)
        fill(postal, other)
        assert postal.post(step(other, "review"), {"declare": "1"}).status_code == 302
    with django_assert_max_num_queries(budget):
        page = her.get("/ho-so-cua-toi/").content.decode()
    assert page.count("data-on-behalf=") == 4
