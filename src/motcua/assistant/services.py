"""Answering a citizen's question from the catalogue (docs/assistant.md).

:func:`ask` finds the procedures a question is about (``assistant.index``), and answers with what the catalogue
says of the best one: the documents to bring, the fees, the time, the channels, where to go, whether it can be
filed online. It never writes legal text of its own: an optional language model may only rephrase the summary
(``assistant.llm``). When nothing matches well it says so and offers the hotline. Every question is logged for
supervision (``assistant.Question``), without personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.agencies.models import Agency, AgencyKind
from motcua.assistant import index as search_index
from motcua.assistant import llm
from motcua.assistant.models import AnswerStatus, AskChannel, Question
from motcua.catalog.fees import fee_range
from motcua.catalog.models import Channel, Delivery, Level, ProcedureVersion
from motcua.catalog.selectors import procedure_version
from motcua.core.errors import NotFound
from motcua.core.formats import dong, working_days
from motcua.core.text import fold
from motcua.geo.models import AdministrativeUnit

MAX_QUESTION = 500
DONT_KNOW = gettext_lazy("I don't know the answer to this question. Call the hotline, or look through the procedures.")
# a best match is trusted when its BM25 score reaches this and it holds enough of the question
# (``index.Hit.confident``; tuned on the gold set, tests/data/assistant_gold.json: its out-of-scope questions fail)
MIN_SCORE = 4.0
# a question not answered lists the procedures that may be related only when its best match scored this much
# (close to MIN_SCORE): below it the matches are chance ("thời tiết hôm nay")
RELATED_SCORE = 3.5
_LONG_DIGITS = re.compile(r"\d[\d .-]{7,}\d")
# folded; single words are matched as words, phrases inside the folded question
ABUSIVE_WORDS = frozenset({"dm", "dcm", "dmm", "dkm", "vcl", "vkl", "clgt", "cmm", "fuck", "fucking", "shit",
                           "bitch", "dit", "deo"})
ABUSIVE_PHRASES = (" du ma ", " oc cho ", " thang ngu ", " do ngu ", " ngu vai ", " ngu nhu ", " me may ")
ENGLISH_WORDS = frozenset((
    "how", "what", "where", "when", "which", "who", "do", "does", "did", "i", "my", "me", "we", "our", "the", "a",
    "an", "to", "for", "of", "in", "on", "at", "is", "are", "be", "can", "could", "would", "need", "want", "get",
    "apply", "register", "registration", "birth", "marriage", "death", "certificate", "license", "licence",
    "driving", "driver", "land", "business", "household", "copy", "building", "permit", "poor", "poverty",
    "criminal", "record", "please", "help", "with", "from", "about", "new", "lost", "change", "renew", "exchange",
    "house", "home", "child", "baby", "son", "daughter", "wife", "husband", "married", "marry", "food", "safety",
))


@dataclass(frozen=True)
class Match:
    code: str
    name: str
    score: float


@dataclass(frozen=True)
class DocumentItem:
    name: str
    originals: int
    copies: int
    required: bool

    @property
    def show_optional(self) -> bool:
        """An optional document whose name does not already say so ("… (nếu có)"): the page marks it."""
        return not self.required and "neu co" not in fold(self.name)


@dataclass(frozen=True)
class FeeItem:
    name: str
    amount: int
    label: str
    note: str


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    address: str
    hotline: str
    opening_hours: str
    post_office: bool


@dataclass(frozen=True)
class Card:
    """What the catalogue says of one procedure, as the assistant shows it."""

    code: str
    name: str
    field: str
    level: str
    processing_days: str
    days: Decimal
    documents: list[DocumentItem]
    fees: list[FeeItem]
    fee_total: int | None  # None when it depends on the case (alternatives of different amounts)
    fee_min: int
    fee_max: int
    fee_total_label: str
    channels: list[str]
    deliveries: list[str]
    online: bool
    boundary_free: bool
    places: list[Place]
    summary: str
    rephrased: bool = False
    commune_chosen: bool = False  # the citizen chose their commune and ``places`` has its receiving point

    @property
    def commune_level(self) -> bool:
        """Received by the one-stop department of the citizen's commune (whichever one is nearest)."""
        return self.level == Level.COMMUNE

    @property
    def suggest_own_commune(self) -> bool:
        """Also say "or your commune's one-stop department": a commune-level procedure, no commune chosen."""
        return self.commune_level and not self.commune_chosen

    @property
    def fee_depends(self) -> bool:
        """The fee depends on the case: a range, each item shown with its note."""
        return self.fee_total is None


@dataclass
class Answer:
    status: str
    question: str
    message: str = ""
    language: str = "vi"
    note: str = ""  # e.g. "I understand Vietnamese best"
    matches: list[Match] = field(default_factory=list)
    card: Card | None = None
    hotline: str = ""

    @property
    def answered(self) -> bool:
        return self.status == AnswerStatus.ANSWERED

    @property
    def not_sure(self) -> bool:
        return self.status == AnswerStatus.NOT_SURE

    @property
    def refused(self) -> bool:
        return self.status in (AnswerStatus.REFUSED, AnswerStatus.EMPTY)

    @property
    def others(self) -> list[Match]:
        """The other procedures that may be meant (after the one answered)."""
        return self.matches[1:] if self.card else self.matches


def hotline() -> str:
    """The number offered when the assistant has no answer: the setting, else the provincial center's."""
    if settings.MOTCUA_ASSISTANT_HOTLINE:
        return str(settings.MOTCUA_ASSISTANT_HOTLINE)
    center = (Agency.objects.filter(kind=AgencyKind.SERVICE_CENTER, is_active=True).exclude(hotline="")
              .order_by("unit__code", "pk").values_list("hotline", flat=True).first())
    return center or ""


def without_personal_data(text: str) -> str:
    """``text`` with runs of 9 or more digits (citizen ID, phone numbers) replaced by ``***``."""
    return _LONG_DIGITS.sub(lambda m: "***" if sum(c.isdigit() for c in m.group()) >= 9 else m.group(), text)


def is_abusive(folded: str) -> bool:
    words = set(folded.split())
    padded = f" {folded} "
    return bool(words & ABUSIVE_WORDS) or any(phrase in padded for phrase in ABUSIVE_PHRASES)


def looks_english(question: str) -> bool:
    """ASCII only, and at least half of its words common English words."""
    if not question.isascii():
        return False
    words = re.findall(r"[a-z]+", question.lower())
    return bool(words) and sum(w in ENGLISH_WORDS for w in words) * 2 >= len(words)


def _places(version: ProcedureVersion, *, commune: str, counter: str) -> tuple[list[Place], bool]:
    """Where to go: the counter the question came from (its QR code) if it receives the procedure, then the
    receiving points in the citizen's commune, else the provincial centers; and one or two post-office points.
    Also whether a receiving point of the citizen's commune is among them."""
    receivers = list(version.procedure.agencies.all())
    unit = AdministrativeUnit.objects.filter(code=commune).values_list("pk", flat=True).first() if commune else None
    chosen: list[Agency] = []
    if counter:
        chosen += [a for a in receivers if a.identifier_code == counter]
    in_commune = [a for a in receivers if a.unit_id == unit and a.kind != AgencyKind.POST_OFFICE] if commune else []
    chosen += in_commune
    if not chosen:
        chosen += [a for a in receivers if a.kind == AgencyKind.SERVICE_CENTER]
    if not chosen:
        chosen += [a for a in receivers if a.kind == AgencyKind.COMMUNE_ONE_STOP][:2]
    posts = [a for a in receivers if a.kind == AgencyKind.POST_OFFICE]
    posts.sort(key=lambda a: a.unit_id != unit)
    seen: set[str] = set()
    out = []
    for agency in [*chosen, *posts[:2]]:
        if agency.identifier_code in seen:
            continue
        seen.add(agency.identifier_code)
        out.append(Place(agency.identifier_code, agency.name, agency.address, agency.hotline, agency.opening_hours,
                         agency.kind == AgencyKind.POST_OFFICE))
    return out, bool(in_commune)


def card(code: str, *, commune: str = "", counter: str = "") -> Card:
    """The catalogue's facts about procedure ``code`` (in force), and where to go for it."""
    version = procedure_version(code)
    items = list(version.fees.all())
    fees = [FeeItem(f.name_vi, f.amount, dong(f.amount) if f.amount else _("Free"), f.note) for f in items]
    span = fee_range(items)
    channels = [str(Channel(c).label) for c in version.channels if c in Channel.values]
    deliveries = [str(Delivery(d).label) for d in version.result_delivery if d in Delivery.values]
    documents = [DocumentItem(c.name_vi, c.originals, c.copies, c.required) for c in version.components.all()]
    online = version.submits_online()
    places, commune_found = _places(version, commune=commune, counter=counter)
    days = working_days(version.processing_days)
    if not span.listed:
        fee_text, fee_label = _("none listed in the catalogue"), _("None listed in the catalogue")
    elif span.free:
        fee_text, fee_label = _("free"), _("Free")
    elif span.exact:
        fee_text = fee_label = dong(span.high)
    else:
        amounts = {"low": dong(span.low), "high": dong(span.high)}
        fee_text = _("from %(low)s to %(high)s depending on the case") % amounts
        fee_label = _("From %(low)s to %(high)s depending on the case") % amounts
    summary = _("Procedure %(code)s: %(documents)s document(s) to bring, fees: %(fees)s, result within %(days)s "
                "working day(s).") % {
        "code": version.procedure.code, "documents": len(documents), "days": days, "fees": fee_text}
    summary += " " + (_("You can submit it online.") if online else _("Submit it at a one-stop counter."))
    return Card(
        code=version.procedure.code, name=version.name_vi, field=version.field.name_vi, level=version.level,
        processing_days=days, days=version.processing_days, documents=documents, fees=fees,
        fee_total=span.high if span.exact else None, fee_min=span.low, fee_max=span.high, fee_total_label=fee_label,
        channels=channels, deliveries=deliveries, online=online, boundary_free=version.boundary_free,
        places=places, summary=summary, commune_chosen=commune_found,
    )


def _log(answer: Answer, *, channel: str, counter: str, score: float) -> None:
    text = without_personal_data(answer.question)[:MAX_QUESTION]
    Question.objects.create(
        text=text, folded=fold(text)[:MAX_QUESTION], status=answer.status, channel=channel,
        language=answer.language, counter=counter[:20], score=score,
        matched_code=answer.matches[0].code if answer.matches else "",
    )


def ask(question: str, *, channel: str = AskChannel.WEB, commune: str = "", counter: str = "",
        log: bool = True) -> Answer:
    """The assistant's answer to ``question`` (see the module's docstring); ``commune`` (a unit code) and
    ``counter`` (an agency's identifier code, from the QR code at its counter) choose where to go."""
    text = (question or "").strip()
    folded = fold(text)
    answer = Answer(status=AnswerStatus.ANSWERED, question=text)
    score = 0.0
    if not folded:
        answer.status = AnswerStatus.EMPTY
        answer.message = _("Type your question, for example: how do I register my child's birth?")
    elif len(text) > MAX_QUESTION:
        answer.status = AnswerStatus.REFUSED
        answer.message = _("Your question is too long: at most %(limit)s characters, it has %(length)s. "
                           "Shorten it and ask again.") % {"limit": MAX_QUESTION, "length": len(text)}
    elif is_abusive(folded):
        answer.status = AnswerStatus.REFUSED
        answer.message = _("Please ask politely: the assistant answers questions about administrative procedures.")
    else:
        if looks_english(text):
            answer.language = "en"
            answer.note = _("The assistant understands Vietnamese best; here is what it found for your question.")
        hits = search_index.current().search(text)
        best = hits[0] if hits else None
        score = best.score if best else 0.0
        if best is None or best.score < MIN_SCORE or not best.confident:
            answer.status = AnswerStatus.NOT_SURE
            answer.message = str(DONT_KNOW)
            # "may be related" only when the best was close to trusted, and only procedures sharing a real word
            related = best is not None and best.score >= RELATED_SCORE
            answer.matches = [Match(h.code, h.name, h.score) for h in hits if related and h.specific]
        else:
            answer.matches = [Match(h.code, h.name, h.score) for h in hits[:1]]
            answer.matches += [Match(h.code, h.name, h.score) for h in hits[1:] if h.specific]
            try:
                answer.card = card(best.code, commune=commune, counter=counter)
            except NotFound:  # the catalogue changed since the index was built
                answer.status = AnswerStatus.NOT_SURE
                answer.message = str(DONT_KNOW)
    if answer.status != AnswerStatus.ANSWERED:
        answer.hotline = hotline()
    if answer.card is not None and llm.enabled():
        rephrased = llm.rephrase(answer.card.summary, answer.card.code)
        if rephrased:
            answer.card = Card(**{**answer.card.__dict__, "summary": rephrased, "rephrased": True})
    if log:
        _log(answer, channel=channel, counter=counter, score=score)
    return answer
