"""Zalo as a channel to and from citizens: the provider against the Zalo simulator as a real process (messages,
tokens refreshed, a non-follower refused for good, an outage retried), and the official account's webhook (signed
events, link codes, unfollowing, duplicates, ratings and feedback), through the real notify → task → provider
path."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import polib
import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from motcua.accounts import services as accounts
from motcua.accounts.models import Citizen
from motcua.dossiers.models import Dossier
from motcua.feedback.models import Petition, Rating
from motcua.feedback.services import AlreadyRated
from motcua.integrations.models import InboxMessage
from motcua.integrations.zalo import signature
from motcua.notifications import services as notifications
from motcua.notifications.models import Notification, NotificationChannel, NotificationStatus, ZaloToken
from motcua.notifications.zalo import NOT_FOLLOWER, ZaloError, get_provider
from tests.browsing import fits
from tests.factories import CENTER, MONDAY, World, act, make_citizen, owned, returned, sign_in
from tests.test_notifications import run_worker, time_passes
from tests.zalo_sim import ZALO_SETTINGS, ZaloSim, zalo_fixture, zalo_sim_fixture  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def linked(zalo: ZaloSim, citizen: Citizen) -> str:
    """The citizen follows the OA in the simulator and sends the code of her account page: her Zalo user ID."""
    user_id = zalo.follow(citizen.full_name)["user_id"]
    code, _expires = accounts.zalo_link_code(citizen=citizen)
    assert zalo.send(user_id, code)["webhook_status"] == 200
    citizen.refresh_from_db()
    assert citizen.zalo_user_id == user_id
    return user_id


def post_event(event: dict[str, Any], *, secret: str = ZALO_SETTINGS["MOTCUA_ZALO_OA_SECRET"]) -> Any:
    body = json.dumps(event).encode()
    mac = signature.mac(app_id=ZALO_SETTINGS["MOTCUA_ZALO_APP_ID"], body=body, timestamp=event["timestamp"],
                        oa_secret=secret)
    return Client().post("/zalo/webhook", body, content_type="application/json",
                         headers={signature.HEADER: mac})


def text_event(user_id: str, text: str, msg_id: str = "m-1") -> dict[str, Any]:
    return {"app_id": ZALO_SETTINGS["MOTCUA_ZALO_APP_ID"], "event_name": "user_send_text",
            "timestamp": str(int(time.time() * 1000)), "sender": {"id": user_id}, "recipient": {"id": "oa"},
            "message": {"text": text, "msg_id": msg_id}}


# --- the provider against the simulator ------------------------------------------------------------------------


def test_the_provider_sends_to_a_follower_with_a_token_made_from_the_refresh_token(zalo: ZaloSim) -> None:
    user_id = zalo.follow("Trần Thị Bình")["user_id"]
    provider = get_provider()
    assert provider.send(user_id, "Xin chào ông/bà") != ""
    assert provider.notice(user_id, "Hồ sơ 000.00.12.H22-261116-0001", "Đã được tiếp nhận") != ""
    assert zalo.messages_to(user_id) == ["Xin chào ông/bà", "Hồ sơ 000.00.12.H22-261116-0001\nĐã được tiếp nhận"]
    with urllib.request.urlopen(zalo.url + "/", timeout=5) as response:  # noqa: S310 - the simulator's page
        page = response.read().decode()
    assert "Zalo OA simulator" in page and "Trần Thị Bình" in page and "Đã được tiếp nhận" in page
    token = ZaloToken.objects.get()
    assert token.refresh_token != ZALO_SETTINGS["MOTCUA_ZALO_REFRESH_TOKEN"]  # rotated: the first one is spent
    assert token.expires_at is not None and token.expires_at > timezone.now() + timedelta(hours=24)


def test_an_expired_token_is_refreshed_and_a_revoked_one_replaced(zalo: ZaloSim) -> None:
    user_id = zalo.follow()["user_id"]
    provider = get_provider()
    provider.send(user_id, "một")
    first = ZaloToken.objects.get()
    ZaloToken.objects.update(expires_at=timezone.now() + timedelta(minutes=1))  # within the margin: refreshed
    provider.send(user_id, "hai")
    second = ZaloToken.objects.get()
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    zalo.configure(expire_tokens=True)  # Zalo no longer accepts it though it has not expired: -216, renewed
    ZaloToken.objects.update(refreshed_at=timezone.now() - timedelta(minutes=1))
    provider.send(user_id, "ba")
    assert ZaloToken.objects.get().access_token != second.access_token
    assert zalo.messages_to(user_id) == ["một", "hai", "ba"]


def test_a_person_who_does_not_follow_the_account_is_a_final_failure(zalo: ZaloSim, world: World) -> None:
    with pytest.raises(ZaloError) as refused:
        get_provider().send("1234567890123456789", "Xin chào")
    assert refused.value.code == NOT_FOLLOWER and refused.value.final
    citizen = make_citizen()
    Citizen.objects.filter(pk=citizen.pk).update(zalo_user_id="1234567890123456789")
    citizen.refresh_from_db()
    notification, = [n for n in notifications.notify(
        template="zalo_reply", context={"text": "Xin chào"}, user=citizen.user) if n.channel == "zalo"]
    run_worker()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED and notification.attempts == 1  # not retried
    assert "-213" in notification.last_error
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_an_outage_is_retried_until_the_message_goes(zalo: ZaloSim, world: World) -> None:
    user_id = zalo.follow()["user_id"]
    zalo.configure(failure_rate=1)
    notification, = notifications.notify(template="zalo_reply", context={"text": "Thử lại"}, zalo_user_id=user_id)
    run_worker()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.QUEUED and notification.attempts == 1
    assert "HTTP 503" in notification.last_error
    zalo.configure(failure_rate=0)
    time_passes()
    run_worker()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.provider_message_id
    assert zalo.messages_to(user_id).count("Thử lại") == 1


# --- the webhook -------------------------------------------------------------------------------------------------


def test_an_event_without_the_right_signature_is_refused(zalo: ZaloSim, world: World) -> None:
    event = text_event("42", "Góp ý")
    assert post_event(event, secret="not-the-secret").status_code == 403  # noqa: S106
    assert Client().post("/zalo/webhook", json.dumps(event), content_type="application/json").status_code == 403
    assert not InboxMessage.objects.exists() and not Notification.objects.exists()


def test_the_code_of_the_account_page_links_zalo_and_the_answer_comes_back(zalo: ZaloSim, world: World) -> None:
    citizen = make_citizen(full_name="Lê Thị Thu Hà")
    user_id = zalo.follow("Hà")["user_id"]
    run_worker()
    assert "/tai-khoan/" in zalo.messages_to(user_id)[0]  # the welcome says where to find the code
    zalo.send(user_id, "MC 000000" if accounts.zalo_link_code(citizen=citizen)[0] != "MC 000000" else "MC 000001")
    citizen.refresh_from_db()
    assert citizen.zalo_user_id is None  # a wrong code links nothing
    code, _expires = accounts.zalo_link_code(citizen=citizen)
    zalo.send(user_id, code.lower().replace(" ", ""))  # "mc482913" is the same code
    citizen.refresh_from_db()
    assert citizen.zalo_user_id == user_id and citizen.zalo_linked
    run_worker()
    assert len(zalo.messages_to(user_id)) == 3  # welcome, wrong code, connected
    assert "Lê Thị Thu Hà" in zalo.messages_to(user_id)[2]
    zalo.send(user_id, code)  # used already
    done = list(InboxMessage.objects.order_by("pk").values_list("result__done", flat=True))
    assert done == ["welcomed", "refused:wrong_code", "linked", "refused:code_expired"]


def test_an_expired_code_is_refused(zalo: ZaloSim, world: World) -> None:
    citizen = make_citizen()
    user_id = zalo.follow()["user_id"]
    code, _expires = accounts.zalo_link_code(citizen=citizen, now=timezone.now() - timedelta(minutes=16))
    zalo.send(user_id, code)
    citizen.refresh_from_db()
    assert citizen.zalo_user_id is None
    assert InboxMessage.objects.filter(result__done="refused:code_expired").count() == 1


def test_unfollowing_unlinks_and_the_page_button_too(zalo: ZaloSim, world: World) -> None:
    citizen = make_citizen()
    user_id = linked(zalo, citizen)
    zalo.unfollow(user_id)
    citizen.refresh_from_db()
    assert citizen.zalo_user_id is None
    user_id = linked(zalo, citizen)
    client = Client()
    sign_in(client, citizen)
    client.post("/tai-khoan/", {"form": "zalo_disconnect"})
    citizen.refresh_from_db()
    assert citizen.zalo_user_id is None and user_id


def test_the_zalo_block_alone_is_for_its_citizen_and_shows_her_code(zalo: ZaloSim, world: World) -> None:
    assert Client().get("/tai-khoan/zalo/").status_code == 302  # signed out: to the sign-in page
    citizen = make_citizen()
    client = Client()
    sign_in(client, citizen)
    client.post("/tai-khoan/", {"form": "zalo_connect"})
    with translation.override("vi"):
        block = client.get("/tai-khoan/zalo/").content.decode()
    assert 'id="zalo"' in block and "data-zalo-code>MC " in block and "hx-get" in block


def test_an_event_sent_twice_is_applied_once(zalo: ZaloSim, world: World) -> None:
    citizen = make_citizen(email="an@example.vn")
    Citizen.objects.filter(pk=citizen.pk).update(zalo_user_id="777")
    event = text_event("777", "Nhà vệ sinh ở trung tâm bị hỏng", msg_id="msg-dup")
    first, second = post_event(event), post_event(event)
    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True
    assert Petition.objects.count() == 1 and InboxMessage.objects.count() == 1


def test_a_text_becomes_feedback_and_a_rating_rates_the_returned_dossier(zalo: ZaloSim, world: World) -> None:
    citizen = make_citizen(full_name="Nguyễn Văn An")
    user_id = linked(zalo, citizen)
    dossier = returned(world, owned(world, citizen.user))
    zalo.send(user_id, f"Hồ sơ {dossier.code}: cán bộ hướng dẫn rất tận tình, cảm ơn")
    petition = Petition.objects.get()
    assert petition.dossier_code == dossier.code and petition.agency_id == dossier.receiving_agency_id
    assert petition.sender_user_id == citizen.user_id and petition.sender_phone == citizen.phone
    zalo.send(user_id, f"DG {dossier.code} 5 rất hài lòng")
    rating = Rating.objects.get(dossier=dossier)
    assert rating.score == 5 and rating.comment == "rất hài lòng" and rating.user_id == citizen.user_id
    zalo.send(user_id, f"DG {dossier.code} 4")  # rated already: refused, answered
    assert Rating.objects.count() == 1
    stranger = zalo.follow("Người lạ")["user_id"]
    zalo.send(stranger, "Góp ý không tên")
    assert Petition.objects.count() == 1  # not linked: told how to link, nothing recorded
    run_worker()
    answers = zalo.messages_to(user_id)
    assert any(petition.code in text for text in answers)  # the receipt of the feedback, by Zalo
    assert any("5/5" in text for text in answers)
    assert InboxMessage.objects.filter(result__done="refused:already_rated").count() == 1
    assert "/tai-khoan/" in zalo.messages_to(stranger)[-1]  # where to link first
    refusal = answers[-1]  # rated by Zalo: the refusal names no channel (not "from your account or the QR code")
    assert refusal == AlreadyRated().text(citizen.language) and "QR" not in refusal


def replies_to(user_id: str) -> list[str]:
    return list(Notification.objects.filter(channel=NotificationChannel.ZALO, recipient=user_id)
                .order_by("pk").values_list("body", flat=True))


def test_a_malformed_rating_is_answered_with_its_reason_and_the_syntax_never_a_petition(
        zalo: ZaloSim, world: World) -> None:
    citizen = make_citizen(full_name="Nguyễn Văn An", language="vi")
    Citizen.objects.filter(pk=citizen.pk).update(zalo_user_id="888")
    mine = returned(world, owned(world, citizen.user))
    waiting = owned(world, citizen.user, MONDAY + timedelta(hours=6))
    other = returned(world, owned(world, make_citizen(id_number="022090009999").user, MONDAY + timedelta(hours=7)))
    with translation.override("vi"):
        reasons = {"dossier_not_found": gettext("No dossier has the code %(code)s.") % {"code": "ABC"},
                   "score_invalid": gettext("The score must be a whole number from 1 to 5."),
                   "not_own_dossier": gettext("Dossier %(code)s is not one of the dossiers of your account.")
                   % {"code": other.code},
                   "not_returned_yet": gettext("Dossier %(code)s has not been returned yet: it can be rated once its "
                                               "result has been returned.") % {"code": waiting.code}}
    sent = [("DG abc", "dossier_not_found"), (f"dg {mine.code} 9", "score_invalid"),
            (f"Đg {mine.code.lower()}", "score_invalid"), (f"DG {other.code} 5", "not_own_dossier"),
            (f"DG: {waiting.code} 4 tốt", "not_returned_yet"), ("DG", "dossier_not_found")]
    for number, (text, reason) in enumerate(sent):
        assert post_event(text_event("888", text, msg_id=f"dg-{number}")).json()["done"] == f"refused:{reason}"
        answer = replies_to("888")[-1]
        assert "DG [" in answer and "[1–5]" in answer, text  # the syntax, in every language
        if reason != "dossier_not_found" or text == "DG abc":
            assert reasons[reason] in answer, text
    assert not Petition.objects.exists() and not Rating.objects.exists()
    syntax = [text for text in replies_to("888") if "DG [" in text]
    assert f"DG {mine.code} 5" in syntax[1] and f"DG {mine.code} 5" not in syntax[0]  # the example: her dossier
    assert f"DG {other.code} 5" not in syntax[3]  # someone else's dossier is never offered back as the example
    post_event(text_event("888", f"DG {mine.code} 5", msg_id="dg-ok"))
    assert Rating.objects.get().dossier_id == mine.pk


def test_the_news_of_a_dossier_reaches_a_linked_citizen_on_zalo(zalo: ZaloSim, world: World) -> None:
    citizen = make_citizen(full_name="Nguyễn Văn An", language="vi")
    user_id = linked(zalo, citizen)
    dossier = owned(world, citizen.user)
    run_worker()
    dossier = Dossier.objects.get(pk=dossier.pk)
    act(world, dossier, "transfer", "tiepnhan", MONDAY + timedelta(minutes=30))
    zalo_sent = Notification.objects.filter(channel=NotificationChannel.ZALO, recipient=user_id,
                                            template="dossier_status")
    assert zalo_sent.exists()
    run_worker()
    assert set(zalo_sent.values_list("status", flat=True)) == {NotificationStatus.SENT}
    news = [text for text in zalo.messages_to(user_id) if dossier.code in text]
    assert news and "Hồ sơ" in news[-1]  # Vietnamese with its diacritics (Zalo is Unicode, unlike SMS)
    for notice in zalo_sent:  # a notice: its header is the subject, and the text does not say it again
        assert notice.subject and notice.subject not in notice.body and notice.body.strip()


NOTICE_CONTEXT = {
    "code": "000.00.12.H22-261116-0001", "procedure_vi": "Đăng ký khai sinh", "procedure_en": "Birth registration",
    "agency_vi": "UBND phường Hà Tu", "agency_en": "Ha Tu Ward", "due": {"date": "20/11/2026", "time": "16:00"},
    "new_due": {"date": "25/11/2026", "time": "16:00"}, "missing": [{"document": "Tờ khai", "reason": "thiếu"}],
    "online": True, "dossier_url": "https://x/h", "tracking_url": "https://x/t", "clock_restarted": True,
    "pause_kind": "financial", "reason": "chờ", "reasons": "không đủ", "delivery": "counter", "amount_text": "8.000 đ",
    "receipt_number": "BL-1", "window_start": {"date": "20/11/2026", "time": "08:00"},
    "window_end": {"date": "20/11/2026", "time": "10:00"},
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_zalo_notice_does_not_repeat_its_header_and_says_ong_ba(language: str) -> None:
    kinds = [("dossier_status", "kind", k) for k in (
        "submitted", "received", "supplement_requested", "supplemented", "in_progress", "paused", "resumed",
        "apology", "result_ready", "returned", "refused", "paid", "withdrawn")]
    kinds += [("pickup_status", "status", k) for k in (
        "requested", "assigned", "collected", "delivered_to_agency", "failed", "cancelled")]
    for template, field, kind in kinds:
        rendered = notifications.render_zalo(template, {**NOTICE_CONTEXT, field: kind}, language)
        assert rendered is not None
        title, text, used = rendered
        assert used == language and title and text, kind
        assert title not in text, kind
        if language == "vi":
            assert "bạn" not in text.lower().split(), kind  # the citizen-facing form of address is "ông/bà"


def test_the_agency_page_and_its_printed_list_show_the_qr_code_of_the_official_account(
        zalo: ZaloSim, world: World) -> None:
    for path in (f"/co-quan/{CENTER}/", f"/co-quan/{CENTER}/danh-muc-in/"):
        for language in ("vi", "en", "es"):
            with translation.override(language):
                page = Client().get(path, headers={"accept-language": language}).content.decode()
            assert 'id="zalo-follow-title"' in page and zalo.url + "/" in page and "data:image/svg+xml" in page
            card = page[page.index('class="zalo-follow'):]
            card = card[:card.index("</section>")]
            # the rating instruction keeps its placeholders: nothing the browser would take for a tag
            assert "DG [" in card, (path, language)
            assert not re.search(r"<(?!/?(?:h2|p|img|a|section)\b)", card), (path, language)


TRANSLATE_TAG = re.compile(r"{%\s*translate\s+(\"[^\"]*\"|'[^']*')")


def test_no_translated_text_printed_raw_holds_something_a_browser_takes_for_a_tag() -> None:
    """``{% translate %}`` prints its text as it is: "<mã hồ sơ>" in it would vanish as an unknown tag. Neither
    the msgids of the templates nor their translations may hold "<" (placeholders are written [like this])."""
    source = Path(__file__).resolve().parent.parent / "src" / "motcua"
    msgids = {}
    for template in source.rglob("templates/**/*.html"):
        for literal in TRANSLATE_TAG.findall(template.read_text(encoding="utf-8")):
            msgids[literal[1:-1]] = template.name
    assert msgids
    bad = [f"{name}: {msgid}" for msgid, name in msgids.items() if "<" in msgid]
    for po_file in source.glob("locale/*/LC_MESSAGES/django.po"):
        bad += [f"{po_file.parent.parent.name}: {entry.msgid}" for entry in polib.pofile(str(po_file))
                if entry.msgid in msgids and "<" in entry.msgstr and not entry.obsolete]
    assert not bad


def test_without_zalo_the_account_page_has_no_zalo_block(world: World, settings: Any) -> None:
    settings.MOTCUA_ZALO_APP_ID = ""
    citizen = make_citizen()
    client = Client()
    sign_in(client, citizen)
    with translation.override("vi"):
        page = client.get("/tai-khoan/").content.decode()
    assert 'id="zalo"' not in page
    assert 'id="zalo-follow-title"' not in Client().get(f"/co-quan/{CENTER}/").content.decode()
    assert notifications.notify(template="zalo_reply", context={"text": "x"}, zalo_user_id="1") == []


# --- on a phone --------------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_on_her_phone_she_connects_zalo_with_the_code_of_her_account_page(
        phone: Any, live_server: Any, zalo: ZaloSim, world: World) -> None:
    citizen = make_citizen(full_name="Phạm Thị Lan")
    client = Client()
    sign_in(client, citizen)
    phone.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                "url": live_server.url}])
    phone.goto(live_server.url + "/tai-khoan/")
    phone.locator("#zalo button").click()
    code = phone.locator("[data-zalo-code]")
    code.wait_for()
    assert code.inner_text().startswith("MC ")
    assert phone.locator("#zalo img").get_attribute("src", timeout=2000).startswith("data:image/svg+xml")
    assert fits(phone)
    user_id = zalo.follow("Lan")["user_id"]  # she scans the QR code, follows the OA and sends the code
    zalo.send(user_id, code.inner_text())
    phone.locator("[data-zalo=connected]").wait_for()  # the page asked, and shows it without a reload
    assert fits(phone)
    citizen.refresh_from_db()
    assert citizen.zalo_user_id == user_id
