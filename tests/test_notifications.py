"""Notifications: queued in the request, delivered by the real worker, retried with backoff, failures visible and
resendable, never sent twice. Real database commits (the signal fires on commit), Django's test outbox, files
for the development SMS provider and a real local HTTP server for the production one."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from motcua.accounts.models import Citizen
from motcua.core.calendar import VN_TZ
from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier
from motcua.notifications import selectors, services
from motcua.notifications.models import Notification
from motcua.notifications.sms import ascii_fold
from tests.factories import APPLICANT, World, pay, pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=VN_TZ)
EMAIL = "an.nguyen@example.vn"
MISSING = [{"document": "Giấy xác nhận tình trạng hôn nhân", "reason": "Bản sao chưa được chứng thực"}]


@pytest.fixture(autouse=True)
def sms_files(settings: Any, tmp_path: Path) -> Path:
    settings.SMS_PROVIDER = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    settings.PUBLIC_BASE_URL = "https://dichvucong.quangninh.gov.vn"
    return tmp_path / "sms"


def receive(world: World, **applicant: Any) -> Dossier:
    data = {"procedure": "1.000894", "channel": "counter", "applicant": {**APPLICANT, **applicant},
            "components": [{"order": 1, "originals": 1}]}
    return dossiers.create_dossier(actor=world.actor("tiepnhan"), data=data, now=MONDAY)[0]


def act(world: World, dossier: Dossier, action: str, who: str, minutes: int = 30, **params: Any) -> Dossier:
    return dossiers.perform(dossier.code, action, actor=world.actor(who), params=params,
                            now=MONDAY + timedelta(minutes=minutes))


def run_worker() -> None:
    """The real worker, in batch mode: every task that is due now, then exit."""
    call_command("db_worker", queue_name="notifications", batch=True, reload=False, startup_delay=False,
                 interval=0, verbosity=0)


def time_passes() -> None:
    """Make every scheduled retry due now, as if the backoff had elapsed."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(seconds=1))


def sms_texts(directory: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.txt"))] if directory.exists() else []


class Gateway:
    """A real HTTP SMS gateway on 127.0.0.1: records each request, answers with ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"json": json.loads(body), "authorization": self.headers["Authorization"],
                                         "path": self.path})
                answer = json.dumps({"id": f"msg-{len(gateway.requests)}"}).encode()
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    server = Gateway()
    settings.SMS_PROVIDER = "http"
    settings.SMS_API_URL = server.url
    settings.SMS_API_TOKEN = "s3cret-token"
    settings.SMS_API_TIMEOUT = 5
    yield server
    server.close()


def test_acceptance_is_queued_in_the_request_and_sent_by_the_worker(world: World, sms_files: Path) -> None:
    dossier = receive(world, email=EMAIL)
    queued = list(Notification.objects.filter(dossier=dossier).order_by("channel"))
    assert [(n.channel, n.recipient, n.status, n.language) for n in queued] == [
        ("email", EMAIL, "queued", "vi"), ("sms", "0912345678", "queued", "vi")]
    # the request only wrote rows: nothing was sent, the delivery waits on its own queue
    assert mail.outbox == [] and sms_texts(sms_files) == []
    assert DBTaskResult.objects.filter(queue_name="notifications", status="READY").count() == 2

    run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMAIL]
    assert message.subject == f"Hồ sơ {dossier.code} đã được tiếp nhận"
    assert "Kính gửi ông/bà Nguyễn Văn An" in message.body
    assert "Ngày hẹn trả kết quả: 09:00 ngày 23/11/2026" in message.body
    assert f"https://dichvucong.quangninh.gov.vn/tra-cuu/?ma={dossier.code}" in message.body
    assert "&amp;" not in message.body and "{%" not in message.body
    [sms] = sms_texts(sms_files)
    assert sms.startswith("To: 0912345678\n\n")
    text = sms.split("\n\n", 1)[1].strip()
    # no diacritics (160 GSM characters), no personal data: the code, the status, the date, the link
    assert text.startswith(f"Ho so {dossier.code} da duoc tiep nhan, hen tra 23/11/2026.")
    assert len(text) <= 160 and "Nguyen" not in text and text.isascii()
    sent = Notification.objects.filter(dossier=dossier)
    assert {(n.status, n.attempts) for n in sent} == {("sent", 1)}
    assert all(n.sent_at and n.provider_message_id for n in sent)


def test_supplement_request_lists_what_is_missing_and_why(world: World, sms_files: Path) -> None:
    dossier = receive(world, email=EMAIL)
    run_worker()
    mail.outbox.clear()
    act(world, dossier, "request_supplement", "tiepnhan", missing=MISSING)
    run_worker()
    [message] = mail.outbox
    assert message.subject == f"Hồ sơ {dossier.code} cần bổ sung, hoàn thiện"
    assert "- Giấy xác nhận tình trạng hôn nhân: Bản sao chưa được chứng thực" in message.body
    assert "Thời hạn giải quyết được tính lại từ đầu" in message.body  # requested after acceptance
    assert "Trung tâm Phục vụ hành chính công phường Hà Tu" in message.body  # a counter applicant: where to go
    texts = sms_texts(sms_files)
    [supplement] = [text for text in texts if "can bo sung giay to" in text]
    assert len(texts) == 2 and "Giay xac nhan" not in supplement  # details stay in the email


def test_online_applicant_in_english_with_account_contacts(world: World, sms_files: Path) -> None:
    user = get_user_model().objects.create_user("citizen.en", password="x")
    Citizen.objects.create(user=user, full_name="Nguyen Van An", email="an@example.com", phone="0987654321",
                           language="en")
    dossier = receive(world, phone="")
    Dossier.objects.filter(pk=dossier.pk).update(applicant_user=user)
    Notification.objects.all().delete()
    act(world, dossier, "request_supplement", "tiepnhan", missing=MISSING)
    notifications = list(Notification.objects.filter(dossier=dossier).order_by("channel"))
    assert [(n.channel, n.recipient, n.language, n.user_id) for n in notifications] == [
        ("email", "an@example.com", "en", user.pk), ("sms", "0987654321", "en", user.pk)]
    run_worker()
    [message] = mail.outbox
    assert message.subject == f"Dossier {dossier.code}: documents to supplement"
    assert "Dear Nguyễn Văn An" in message.body
    assert "- Giấy xác nhận tình trạng hôn nhân: Bản sao chưa được chứng thực" in message.body
    assert f"https://dichvucong.quangninh.gov.vn/ho-so-cua-toi/{dossier.code}/" in message.body
    [sms] = sms_texts(sms_files)
    assert f"Dossier {dossier.code} needs more documents, add them online." in sms


def test_what_the_applicant_hears_through_the_lifecycle(world: World) -> None:
    dossier = receive(world, email=EMAIL)
    dossier = act(world, dossier, "transfer", "tiepnhan", 10)
    dossier = act(world, dossier, "assign", "chuyenvien", 20, assignee="chuyenvien")
    dossier = act(world, dossier, "forward", "chuyenvien", 30)
    dossier = act(world, dossier, "apologize", "lanhdao", 40, new_due_at="2026-11-27T16:00:00+07:00",
                  reason="Phải xác minh thêm tại địa phương")
    dossier = act(world, dossier, "approve", "lanhdao", 50)  # in progress → awaiting signature: same for them
    dossier = dossiers.issue_result(dossier.code, actor=world.actor("lanhdao"), file=io.BytesIO(pdf_bytes()),
                                    name="kq.pdf", now=MONDAY + timedelta(minutes=60))
    pay(dossier, world.actor("tiepnhan"), MONDAY + timedelta(minutes=65))  # in cash, at the counter
    dossier = act(world, dossier, "return_result", "tiepnhan", 70, delivery="counter", recipient="Nguyễn Văn An")
    run_worker()
    subjects = [m.subject for m in mail.outbox]
    code = dossier.code
    assert subjects == [
        f"Hồ sơ {code} đã được tiếp nhận",
        f"Hồ sơ {code} đang được giải quyết",
        f"Xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}",
        f"Hồ sơ {code} đã có kết quả",
        f"Đã nhận phí, lệ phí của hồ sơ {code}",
        f"Hồ sơ {code} đã trả kết quả",
    ]
    apology, ready = mail.outbox[2].body, mail.outbox[3].body
    assert "Lý do: Phải xác minh thêm tại địa phương" in apology
    assert "Ngày hẹn trả kết quả mới: 16:00 ngày 27/11/2026." in apology
    assert "Mời ông/bà đến nhận kết quả tại Trung tâm Phục vụ hành chính công phường Hà Tu" in ready
    refused = receive(world, email=EMAIL)
    act(world, refused, "refuse", "tiepnhan", reasons="Không thuộc thẩm quyền giải quyết")
    run_worker()
    assert mail.outbox[-1].subject == f"Hồ sơ {refused.code} bị từ chối tiếp nhận, giải quyết"
    assert "Lý do: Không thuộc thẩm quyền giải quyết" in mail.outbox[-1].body
    assert all(len(n.body) <= 160 for n in Notification.objects.filter(channel="sms"))


def test_http_gateway_gets_json_and_the_bearer_token(world: World, gateway: Gateway) -> None:
    dossier = receive(world)
    run_worker()
    [request] = gateway.requests
    assert request["path"] == "/sms/send"
    assert request["authorization"] == "Bearer s3cret-token"
    assert request["json"]["to"] == "0912345678"
    assert request["json"]["text"].startswith(f"Ho so {dossier.code} da duoc tiep nhan")
    sms = Notification.objects.get(dossier=dossier, channel="sms")
    assert (sms.status, sms.provider_message_id) == ("sent", "msg-1")


def test_failures_retry_with_backoff_then_fail_visibly_and_can_be_resent(
    world: World, gateway: Gateway, settings: Any,
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 3
    gateway.status = 500
    dossier = receive(world)
    sms = Notification.objects.get(dossier=dossier, channel="sms")

    before = timezone.now()
    run_worker()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("queued", 1)
    assert "HTTP 500" in sms.last_error
    assert sms.next_attempt_at is not None
    assert timedelta(seconds=59) <= sms.next_attempt_at - before <= timedelta(seconds=70)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after == sms.next_attempt_at and retry.args_kwargs["args"] == [sms.pk, 2]
    run_worker()  # not due yet: nothing happens
    sms.refresh_from_db()
    assert sms.attempts == 1 and len(gateway.requests) == 1

    time_passes()
    before = timezone.now()
    run_worker()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("queued", 2)
    assert sms.next_attempt_at is not None
    assert timedelta(seconds=299) <= sms.next_attempt_at - before <= timedelta(seconds=310)

    time_passes()
    run_worker()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.next_attempt_at) == ("failed", 3, None)
    assert len(gateway.requests) == 3
    assert not DBTaskResult.objects.filter(status="READY").exists()

    # visible: to the agency's reception staff, to administrators, in the admin list
    assert list(selectors.failed_notifications([world.commune.pk])) == [sms]
    assert selectors.failed_count_for(world.users["tiepnhan"]) == 1
    assert selectors.failed_count_for(world.users["tuphap"]) == 0
    admin = get_user_model().objects.create_superuser("quantri", password="x")
    # the staff pages' alert counts both in one query; the same figures
    assert selectors.alert_counts_for(world.users["tiepnhan"]) == (1, 0)
    assert selectors.alert_counts_for(world.users["tuphap"]) == (0, 0)
    assert selectors.alert_counts_for(admin) == (selectors.failed_count_for(admin), selectors.overdue_count_for(admin))
    tag = Template("{% load notifications %}{% notifications_alert %}")
    request = RequestFactory().get("/workspace/")
    request.user = world.users["tiepnhan"]
    with translation.override("en"):
        alert = tag.render(Context({"request": request}))
    assert "1 message to an applicant could not be delivered" in alert and "status__exact" not in alert
    request.user = admin
    assert "?status__exact=failed" in tag.render(Context({"request": request}))
    request.user = world.users["tuphap"]
    assert tag.render(Context({"request": request})).strip() == ""
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/notifications/notification/", {"status__exact": "failed", "q": dossier.code})
    assert page.status_code == 200 and "0912345678" in page.content.decode()
    detail = client.get(f"/admin/notifications/notification/{sms.pk}/change/").content.decode()
    assert "HTTP 500" in detail and 'name="body"' not in detail  # read-only

    # resend from the admin once the gateway is back
    gateway.status = 200
    answer = client.post("/admin/notifications/notification/",
                         {"action": "resend_failed", "_selected_action": [str(sms.pk)]})
    assert answer.status_code == 302
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("queued", 0)
    run_worker()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.provider_message_id) == ("sent", 1, "msg-4")
    assert selectors.failed_count_for(admin) == 0


def test_unreachable_smtp_server_is_recorded(world: World, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    settings.NOTIFY_MAX_ATTEMPTS = 1
    dossier = receive(world, email=EMAIL)
    run_worker()
    email = Notification.objects.get(dossier=dossier, channel="email")
    assert email.status == "failed" and email.attempts == 1
    assert "Connection" in email.last_error or "refused" in email.last_error.lower()


def test_nothing_is_sent_twice(world: World, sms_files: Path) -> None:
    dossier = receive(world, email=EMAIL)
    email = Notification.objects.get(dossier=dossier, channel="email")
    services.enqueue(email.pk, 1)  # a duplicated task, as after a crash between enqueue and bookkeeping
    run_worker()
    run_worker()
    assert len(mail.outbox) == 1 and len(sms_texts(sms_files)) == 1
    assert services.deliver(email.pk, 1) == "skipped"
    assert services.resend(email) is False  # only failed ones are resent
    assert len(mail.outbox) == 1


def test_a_rolled_back_action_sends_nothing(world: World) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify(template="dossier_status", context={"kind": "in_progress", "code": "X"}, email=EMAIL)
        raise RuntimeError("the action failed")
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_templates_in_both_layouts(settings: Any, tmp_path: Path) -> None:
    """Another app's message in one file with {% translate %} (notifications/<name>.*) is found too."""
    folder = tmp_path / "templates" / "notifications"
    folder.mkdir(parents=True)
    (folder / "verify_code.subject.txt").write_text("{% load i18n %}{% translate 'Dossier' %} {{ code }}")
    (folder / "verify_code.txt").write_text("Code: {{ code }} <&>")
    (folder / "verify_code.sms.txt").write_text("Mã xác thực {{ code }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]}]
    made = services.notify(template="verify_code", context={"code": "123456"}, email=EMAIL, phone="0912345678",
                           language="en")
    assert [(n.channel, n.subject, n.body, n.language) for n in made] == [
        ("email", "Dossier 123456", "Code: 123456 <&>\n", "en"), ("sms", "", "Ma xac thuc 123456", "en")]
    # a language without its own directory falls back to the shared file, then to Vietnamese
    assert services.render_text("dossier_status.subject.txt", {"kind": "received", "code": "C"}, "es") == (
        "Hồ sơ C đã được tiếp nhận\n", "vi")


def test_a_message_stuck_in_the_queue_shows_and_can_be_resent(world: World) -> None:
    dossier = receive(world, email=EMAIL)  # and no worker runs
    email = Notification.objects.get(dossier=dossier, channel="email")
    assert services.resend(email) is False  # not overdue yet: its task is waiting
    Notification.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=20))
    assert selectors.overdue_count_for(world.users["tiepnhan"]) == 2
    assert selectors.alert_counts_for(world.users["tiepnhan"]) == (0, 2)
    request = RequestFactory().get("/workspace/")
    request.user = world.users["tiepnhan"]
    with translation.override("en"):
        alert = Template("{% load notifications %}{% notifications_alert %}").render(Context({"request": request}))
    assert "2 messages have waited too long to be sent: is the background worker running?" in alert
    assert services.resend(email) is True
    run_worker()  # the first task and the resent one: the message goes once
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.next_attempt_at) == ("sent", 1, None)
    assert selectors.overdue_count_for(world.users["tiepnhan"]) == 0


def test_an_sms_in_ascii_mode_carries_no_typographic_punctuation() -> None:
    folded = ascii_fold("Bưu điện đến nhận hồ sơ “000.00.12.H56-250715-0007”, 08:00–10:00 ngày 17/11…")
    assert folded == 'Buu dien den nhan ho so "000.00.12.H56-250715-0007", 08:00-10:00 ngay 17/11...'
    assert folded.isascii()
