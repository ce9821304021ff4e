"""The demo's history (issue 13): four months of a living province, so that the supervisor ``giamsat`` opens boards,
reports and the index with something in them on the first ``make run``.

A few hundred dossiers received at the communes' centers (Hà Tu, Việt Hưng, Bãi Cháy, Thống Nhất, Hồng Gai,
Hạ Long) and at the provincial center (judicial records, land), from about 120 days ago up to today
(``timezone.now()``), each taken through **the real services** with a backdated ``now=`` —
``create_dossier``, ``perform``, ``issue_result``, the payments (cash at the counter, the sandbox gateway online),
``attach`` (a scanned, digitized component), the ratings and a petition — so that the event logs, the reporting
facts and the daily roll-up are what the application itself records. Nothing is written to the tables directly.

The story: most communes handle their dossiers early or on time; **Bãi Cháy is behind** — its processing step
is slow, one officer (``chuyenvien.baichay``) holds most of its dossiers, and many of those still open are past
their due date; some dossiers wait for a supplement; one was apologized for; online dossiers are paid online and
rated; a petition was answered late. Dossiers whose next step would fall after now stay open, so the queues and
boards have content.

Its results are paper results signed by hand and scanned (``unsigned_results_allowed`` is set on the procedures
it uses, never on the marriage registration or the copy of an extract the journeys sign), and its applicants are
not messaged (the notifications receiver is off while it runs). It runs once: :func:`load_history` does nothing
when a history is already there. Deterministic but for the anchor (today).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from pypdf import PdfWriter

from motcua.accounts.models import Citizen, CitizenKind
from motcua.agencies.models import Agency, Membership, Role
from motcua.catalog.models import Level, ProcedureVersion
from motcua.core.calendar import VN_TZ, WorkingCalendar
from motcua.core.errors import MotCuaError
from motcua.dossiers import deadlines
from motcua.dossiers import services as dossier_services
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.dossiers.signals import dossier_changed, event_recorded
from motcua.dossiers.statuses import Status
from motcua.feedback import services as feedback_services
from motcua.integrations.population.people import DEMO_PEOPLE
from motcua.notifications import receivers as notification_receivers
from motcua.payments import selectors as payment_selectors
from motcua.payments import services as payment_services
from motcua.payments.gateways.sandbox import SandboxGateway
from motcua.stats import receivers as stats_receivers
from motcua.stats import services as stats_services

DAYS = 120
ID_PREFIX = "02219"  # the history's applicants: citizen ID numbers 02219xxxxxxx
DEMO_IDS = frozenset(person.id_number for person in DEMO_PEOPLE)
SEED = 13

# commune center → (its name in the progress lines, dossiers per working day, how slowly its processing goes)
COMMUNES: dict[str, tuple[str, float, float]] = {
    "000.01.20.H22": ("Hà Tu", 0.9, 0.5),
    "000.02.20.H22": ("Việt Hưng", 0.7, 0.55),
    "000.03.20.H22": ("Bãi Cháy", 1.0, 1.9),  # behind
    "000.04.20.H22": ("Thống Nhất", 0.4, 0.6),
    "000.05.20.H22": ("Hồng Gai", 0.8, 0.45),
    "000.06.20.H22": ("Hạ Long", 0.6, 0.5),
}
PROVINCE_CENTER = "000.00.01.H22"
PROVINCE_RATE, PROVINCE_SLOWNESS = 0.9, 0.6
# procedure code → weight (commune level: received at the commune centers)
COMMUNE_PROCEDURES = {"1.001193": 30, "1.000656": 8, "1.004873": 14, "1.001612": 10, "1.013225": 5, "2.000815": 12}
PROVINCE_PROCEDURES = {"3.000333": 6, "1.012786": 3, "1.013831": 3}  # judicial records (Justice), land
ONLINE_SHARE = 0.35  # of the dossiers of procedures offered online
BUSY_OFFICER = "chuyenvien.baichay"
BEHIND = "000.03.20.H22"  # Bãi Cháy

Clock = datetime


@dataclass
class Story:
    received: int = 0
    returned: int = 0
    open: int = 0
    overdue: int = 0
    supplements: int = 0
    refused: int = 0
    withdrawn: int = 0
    paid_online: int = 0
    digitized: int = 0
    rated: int = 0
    apologies: int = 0


def history_loaded() -> bool:
    # the demo accounts' people (their own dossiers: demo.returned) are not the history's made-up applicants
    return Dossier.objects.filter(applicant_id_number__startswith=ID_PREFIX).exclude(
        applicant_id_number__in=DEMO_IDS).exists()


def load_history(*, progress: Callable[[str], None] = lambda line: None, now: datetime | None = None) -> Story | None:
    """Four months of dossiers through the real services, once (``None`` when a history is already there)."""
    if history_loaded():
        progress("    already loaded")
        return None
    now = now or timezone.now()
    maker = _Maker(now, random.Random(SEED))
    # one transaction (a few seconds instead of a minute of commits on SQLite); the applicants of the past are not
    # messaged; the facts are refreshed after it, by the catch-up that ``motcua serve`` runs every minute
    muted = dossier_changed.disconnect(dispatch_uid="notifications.dossier_changed")
    facts_muted = event_recorded.disconnect(dispatch_uid="stats_refresh")
    try:
        with transaction.atomic():
            maker.run(progress)
            maker.petition()
    finally:
        if muted:
            dossier_changed.connect(notification_receivers.dossier_changed,
                                    dispatch_uid="notifications.dossier_changed")
        if facts_muted:
            event_recorded.connect(stats_receivers.refresh_facts, dispatch_uid="stats_refresh")
    progress("    the reporting facts and the daily roll-up, from the events…")
    stats_services.catch_up(progress=lambda line: None)
    return maker.story


def _pdf(text: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


FIRST_NAMES = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hằng", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh",
               "Lan", "Linh", "Long", "Minh", "Nam", "Ngọc", "Phương", "Quân", "Quang", "Tâm", "Thảo", "Trang", "Tú",
               "Tuấn", "Vân", "Việt", "Yến"]
FAMILY_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE_NAMES = ["Văn", "Thị", "Minh", "Đức", "Thu", "Quốc", "Thanh"]


class _Maker:
    def __init__(self, now: datetime, rng: random.Random) -> None:
        self.now = now
        self.rng = rng
        self.cal: WorkingCalendar = deadlines.calendar()
        self.story = Story()
        self.number = 0
        self.pdf = _pdf("Kết quả giải quyết thủ tục hành chính")
        self.scan = _pdf("Bản quét thành phần hồ sơ")
        self.staff = self._staff()
        self.actors: dict[int, Actor] = {}
        self.versions = {v.procedure.code: v for v in ProcedureVersion.objects.in_force().filter(
            procedure__code__in=[*COMMUNE_PROCEDURES, *PROVINCE_PROCEDURES]).select_related("procedure")}
        # the history's results are paper results signed by hand and scanned
        ProcedureVersion.objects.filter(pk__in=[v.pk for v in self.versions.values()]).update(
            unsigned_results_allowed=True)
        for version in self.versions.values():
            version.unsigned_results_allowed = True
        self.citizens = self._citizens()
        self.apologized = False
        self.commune_units: list[str] = []  # the demo communes' codes (boundary-free reception, :meth:`elsewhere`)
        self.eligible = 0

    # --- who works where -----------------------------------------------------------------------------------

    def _staff(self) -> dict[tuple[int, str], list[Any]]:
        staff: dict[tuple[int, str], list[Any]] = {}
        for membership in Membership.objects.filter(is_active=True).select_related("user").order_by("user__username"):
            staff.setdefault((membership.agency_id, membership.role), []).append(membership.user)
        return staff

    def actor(self, agency: int, role: str, *, busy: bool = False) -> Actor:
        return self.as_actor(self.person(agency, role, busy=busy))

    def as_actor(self, user: Any) -> Actor:
        if user.pk not in self.actors:
            self.actors[user.pk] = Actor.for_user(user)
        return self.actors[user.pk]

    def person(self, agency: int, role: str, *, busy: bool = False) -> Any:
        people = self.staff.get((agency, role)) or self.staff.get((agency, Role.LEADER)) or []
        if not people:
            raise LookupError(f"no {role} at agency {agency}")
        if busy:
            chosen = next((u for u in people if u.username == BUSY_OFFICER), people[0])
            if len(people) > 1 and self.rng.random() < 0.15:
                chosen = next(u for u in people if u != chosen)
        else:
            chosen = self.rng.choice(people)
        return chosen

    def _citizens(self) -> list[Any]:
        """A few citizens' accounts that submit online, pay online and rate (no phone: never messaged)."""
        users = []
        for number in range(8):
            username = f"lichsu.{number + 1}"
            user, created = get_user_model().objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()
                user.save()
            name = self.name()
            Citizen.objects.get_or_create(user=user, defaults={
                "kind": CitizenKind.PERSON, "full_name": name, "id_number": self.id_number(),
                "email": f"{username}@lichsu.motcua.local", "address": "Quảng Ninh",
                "email_verified_at": self.now})
            users.append(user)
        return users

    def name(self) -> str:
        return f"{self.rng.choice(FAMILY_NAMES)} {self.rng.choice(MIDDLE_NAMES)} {self.rng.choice(FIRST_NAMES)}"

    def id_number(self) -> str:
        self.number += 1
        while f"{ID_PREFIX}{self.number:07d}" in DEMO_IDS:  # a demo account's person is not a made-up applicant
            self.number += 1
        return f"{ID_PREFIX}{self.number:07d}"

    # --- the arrivals --------------------------------------------------------------------------------------

    def arrivals(self) -> list[tuple[datetime, str, str, float]]:
        """(moment, receiving center, procedure, slowness), in time order."""
        out = []
        today = timezone.localdate(self.now, VN_TZ)
        for back in range(DAYS, -1, -1):
            day = today - timedelta(days=back)
            if not self.cal.is_working_day(day):
                continue
            points = [(code, rate, slowness, COMMUNE_PROCEDURES) for code, (_n, rate, slowness) in COMMUNES.items()]
            points.append((PROVINCE_CENTER, PROVINCE_RATE, PROVINCE_SLOWNESS, PROVINCE_PROCEDURES))
            for center, rate, slowness, procedures in points:
                count = int(rate) + (1 if self.rng.random() < rate - int(rate) else 0)
                for _ in range(count):
                    minutes = self.rng.randint(0, 8 * 60)
                    moment = datetime.combine(day, time(7, 45), VN_TZ) + timedelta(minutes=minutes)
                    if minutes > 3 * 60 + 45:
                        moment += timedelta(minutes=90)  # the lunch break
                    if moment >= self.now - timedelta(minutes=30):
                        continue
                    code = self.rng.choices(list(procedures), weights=list(procedures.values()))[0]
                    out.append((moment, center, code, slowness))
        out.sort()
        return out

    def run(self, progress: Callable[[str], None]) -> None:
        centers = {a.identifier_code: a for a in Agency.objects.filter(
            identifier_code__in=[*COMMUNES, PROVINCE_CENTER]).select_related("unit")}
        self.commune_units = [centers[c].unit.code for c in COMMUNES if c in centers and centers[c].unit]
        arrivals = self.arrivals()
        progress(f"    {len(arrivals)} dossiers over the last {DAYS} days…")
        for index, (moment, center, code, slowness) in enumerate(arrivals, start=1):
            if code not in self.versions or center not in centers:
                continue
            try:
                self.one(moment, centers[center], self.versions[code], slowness)
            except (MotCuaError, LookupError) as refused:  # a rule the story did not foresee: the dossier stops there
                progress(f"    (a dossier stopped early: {refused})")
            if index % 100 == 0:
                progress(f"    … {index} / {len(arrivals)}")

    # --- one dossier's life --------------------------------------------------------------------------------

    def later(self, start: datetime, days: float) -> datetime:
        return self.cal.add_working_seconds(start, max(600, int(days * self.cal.seconds_per_day)))

    def one(self, moment: datetime, center: Agency, version: ProcedureVersion, slowness: float) -> None:
        rng = self.rng
        front = self.actor(center.pk, Role.RECEPTION)
        online = version.online_level in ("full", "partial") and "online" in version.channels and (
            rng.random() < ONLINE_SHARE)
        components = [{"order": i, "originals": 1} for i in range(1, version.components.count() + 1)]
        applicant = {"name": self.name(), "id_number": self.id_number(), "address": "Quảng Ninh"}
        citizen = rng.choice(self.citizens) if online else None
        if citizen is not None:
            profile = citizen.citizen
            applicant = {"name": profile.full_name, "id_number": profile.id_number, "address": "Quảng Ninh"}
            dossier, _ = dossier_services.create_dossier(
                actor=self.as_actor(citizen), now=moment,
                data={"procedure": version.procedure.code, "channel": "online", "applicant": applicant,
                      "receiving_agency": center.identifier_code})
            moment = self.later(moment, rng.uniform(0.05, 0.6))
            if moment > self.now:
                self.story.open += 1
                return
            dossier = dossier_services.perform(dossier.code, "receive", actor=front, now=moment)
        else:
            dossier, _ = dossier_services.create_dossier(
                actor=front, now=moment,
                data={"procedure": version.procedure.code, "channel": "counter", "applicant": applicant,
                      "components": components, "receiving_agency": center.identifier_code,
                      "competent_unit": self.elsewhere(center, version)})
            if rng.random() < 0.3:
                dossier_services.attach(dossier.code, actor=front, file=io.BytesIO(self.scan), name="ban-quet.pdf",
                                        kind="scan", component=1, now=moment + timedelta(minutes=5))
                self.story.digitized += 1
        self.story.received += 1
        self.walk(dossier, moment, slowness, citizen)

    def elsewhere(self, center: Agency, version: ProcedureVersion) -> str:
        """Every eighth counter dossier of a boundary-free commune-level procedure is for another commune (filed
        near the applicant's work: received regardless of boundary, DESIGN.md §3); empty: the point's own."""
        if not (version.boundary_free and version.level == Level.COMMUNE) or center.unit is None:
            return ""
        self.eligible += 1
        others = [code for code in self.commune_units if code != center.unit.code]
        if self.eligible % 8 or not others:
            return ""
        return others[self.eligible // 8 % len(others)]

    def walk(self, dossier: Dossier, moment: datetime, slowness: float, citizen: Any) -> None:
        """Step after step of its plan until its result is returned, or until the next step would be after now."""
        rng = self.rng
        code = dossier.code
        plan = dossier.plan
        t = moment
        supplemented = False
        # Bãi Cháy's backlog: a good share of its recent dossiers still wait at the processing step
        stuck = (dossier.receiving_agency.identifier_code == BEHIND and moment > self.now - timedelta(days=40)
                 and rng.random() < 0.6)
        while True:
            dossier = Dossier.objects.get(code=code)
            if dossier.status in (Status.RETURNED, Status.REFUSED, Status.WITHDRAWN):
                return
            index = dossier.step_index
            step = plan[index]
            agency = step["agency"]
            role = step["role"]
            days = float(Decimal(str(step["days"])))
            handling = role in (Role.PROCESSING, Role.LEADER, Role.SIGNER)
            pace = slowness * rng.uniform(0.5, 1.4) if role == Role.PROCESSING else rng.uniform(0.2, 0.8)
            start = max(t, dossier.step_started_at or t)
            if dossier.status == Status.RESULT_READY:
                self.finish(dossier, start, citizen)
                return
            done = self.later(start, max(days, 0.05) * pace)
            if handling and role == Role.PROCESSING and not supplemented and rng.random() < 0.07:
                supplemented = True
                asked = start + timedelta(minutes=rng.randint(20, 120))
                window = self.cal.add_working_days(dossier.received_at or start, 3)  # asked within 3 working days
                if asked <= min(self.now, window):
                    self.act(code, "request_supplement", self.actor(agency, role), asked,
                             missing=[{"document": "Bản sao giấy tờ tùy thân", "reason": "Bản chụp không rõ"}])
                    self.story.supplements += 1
                    back = asked + timedelta(days=rng.randint(2, 9), hours=rng.randint(0, 5))
                    if back > self.now:
                        self.story.open += 1
                        return
                    self.act(code, "supplement", self.actor(dossier.receiving_agency_id, Role.RECEPTION), back)
                    t = back
                    continue
            if role == Role.PROCESSING and rng.random() < 0.015:
                refused_at = start + timedelta(hours=2)
                if refused_at < self.now:
                    self.act(code, "refuse", self.actor(agency, role), refused_at,
                             reasons="Hồ sơ không thuộc trường hợp được giải quyết")
                    self.story.refused += 1
                    return
            if role == Role.RECEPTION and index == 0 and rng.random() < 0.01:
                self.act(code, "withdraw", self.actor(agency, role), start + timedelta(minutes=30),
                         reason="Người nộp xin rút hồ sơ")
                self.story.withdrawn += 1
                return
            person = self.person(agency, role, busy=role == Role.PROCESSING)
            officer = self.as_actor(person)
            if role == Role.PROCESSING and dossier.assignee_id is None:
                taken = start + timedelta(minutes=rng.randint(5, 90))
                if taken < self.now:  # the officer takes the dossier
                    self.act(code, "assign", officer, taken, assignee=person.username)
            if (not self.apologized and role == Role.PROCESSING and slowness > 1 and dossier.due_at is not None
                    and done > dossier.due_at and dossier.due_at - timedelta(hours=3) > start
                    and dossier.due_at - timedelta(hours=3) < self.now):
                self.act(code, "apologize", officer, dossier.due_at - timedelta(hours=3),
                         reason="Cần xác minh thêm với cơ quan khác",
                         new_due_at=self.cal.add_working_days(dossier.due_at, 3).isoformat())
                self.apologized = True
                self.story.apologies += 1
            if done > self.now or (stuck and role == Role.PROCESSING):
                self.story.open += 1
                if dossier.due_at is not None and dossier.due_at < self.now:
                    self.story.overdue += 1
                return
            if index == 0:
                self.act(code, "transfer", officer, done)
            elif role == Role.SIGNER:
                dossier_services.issue_result(code, actor=officer, file=io.BytesIO(self.pdf),
                                              name="ket-qua.pdf", now=done)
            elif role == Role.LEADER:
                self.act(code, "approve", officer, done)
            else:
                self.act(code, "forward", officer, done)
            t = done

    def finish(self, dossier: Dossier, ready: datetime, citizen: Any) -> None:
        """The fee (online for online dossiers, else cash at the counter), the return, the applicant's rating."""
        rng = self.rng
        code = dossier.code
        front = self.actor(dossier.current_agency_id or dossier.receiving_agency_id, Role.RECEPTION)
        paid = ready + timedelta(minutes=rng.randint(30, 600))
        due = payment_selectors.amount_due(dossier)
        if due and paid < self.now:
            if citizen is not None:
                payment = payment_services.start_payment(code=code, user=citizen, return_url="/", client_ip="127.0.0.1",
                                                         locale="vn", now=paid)
                request = dict(parse_qsl(urlsplit(payment.redirect_url).query))
                payment_services.receive_notice(params=SandboxGateway().result_params(request, "pay", paid), now=paid)
                self.story.paid_online += 1
            else:
                payment_services.record_collection(code=code, method="cash", amount=due, actor=front,
                                                   point_id=dossier.receiving_agency_id, now=paid)
        returned = self.later(ready, rng.uniform(0.1, 2.5))
        if ready > self.now - timedelta(days=21) and rng.random() < 0.3:
            returned = self.now + timedelta(days=1)  # the applicant has not come for it yet
        if returned > self.now or (due and paid >= self.now):
            self.story.open += 1
            return
        self.act(code, "return_result", front, max(returned, paid), delivery="counter",
                 recipient=dossier.applicant_name[:300] or "-")
        self.story.returned += 1
        if citizen is not None and rng.random() < 0.8:
            slow = dossier.receiving_agency.identifier_code == BEHIND
            score = rng.choice([2, 3, 3, 4]) if slow else rng.choice([4, 5, 5, 5])
            feedback_services.rate_dossier(user=citizen, dossier_code=code,
                                           now=max(returned, paid) + timedelta(hours=3),
                                           answers=feedback_services.Answers(score=score, on_time=not slow))
            self.story.rated += 1

    def act(self, code: str, action: str, actor: Actor, now: datetime, **params: Any) -> Dossier:
        return dossier_services.perform(code, action, actor=actor, params=params, now=now)

    def petition(self) -> None:
        """A citizen's complaint about Bãi Cháy, answered three weeks later (late: 15 working days allowed)."""
        sent_at = self.now - timedelta(days=40)
        petition = feedback_services.submit_petition(data=feedback_services.PetitionIn(
            kind="feedback", subject="Hồ sơ cấp phép xây dựng bị chậm",
            body="Hồ sơ của tôi nộp tại phường Bãi Cháy đã quá hạn hai tuần mà chưa có kết quả.",
            agency=BEHIND, sender_name=self.name(), email="phananh@lichsu.motcua.local",
            consent_to_publish=True), now=sent_at)
        officer = self.actor(Agency.objects.get(identifier_code=BEHIND).pk, Role.RECEPTION)
        feedback_services.answer_petition(actor=officer, code=petition.code, publish=True,
                                          now=sent_at + timedelta(days=22),
                                          answer="Phường đã bố trí thêm cán bộ thẩm định; hồ sơ đã có kết quả.")
