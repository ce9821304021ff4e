"""The assistant's search index: BM25 (``bm25s``) over the procedures in force, on word-segmented Vietnamese.

Each procedure is one document: its name (counted three times), its English name, its field, its documents and
results, and the phrases of the synonyms tied to it (``catalog.Synonym``, counted twice). Text is segmented into
words with ``pyvi`` ("sổ đỏ" is one word, ``sổ_đỏ``) and folded (no diacritics, đ→d, lower case), and each
document also holds its single syllables and every pair of adjacent syllables, so that a question typed without
diacritics ("lam so do"), which the segmenter cannot split, still finds the compounds. A question's words absent
from the vocabulary are corrected to the nearest word of it (``rapidfuzz``: "khai sinhh" → "khai sinh"), and a
question holding the phrase of a synonym is also searched for what it means.

The index is built once per process, lazily, and rebuilt when the catalogue changes: every
``MOTCUA_ASSISTANT_INDEX_CHECK_SECONDS`` a cheap query reads a key of the catalogue (how many versions, the newest,
how many in force, the synonyms' newest change, today's date), so every process of a server sees a change within
that delay; a change saved in this process is seen at once (``assistant.apps`` connects the signals). Each web
worker builds it in a background thread as it starts (:func:`warm_up`, called by ``motcua.config.wsgi``, which only
the web server imports: management commands and the tests do not pay for it).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import bm25s
from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone
from pyvi import ViTokenizer
from rapidfuzz import fuzz, process

from motcua.catalog.models import ProcedureVersion, Status, Synonym
from motcua.core.text import fold

# Words that carry no meaning in a question ("tôi muốn … ở đâu, bao lâu, cần gì"), folded: left out of the single
# syllables of a question, kept in its pairs (so "tặng cho" is still ``tang_cho``). Folding merges syllables
# ("bản"/"bạn", "thế"/"the", "tử"/"từ"): those that the catalogue's names use are not in the list.
STOP_WORDS = frozenset((
    "a", "ah", "oi", "ak", "nhe", "nha", "nhi", "nua", "vay", "roi", "thi", "ma", "neu", "khi", "luc", "se", "da",
    "de", "duoc", "toi", "minh", "em", "anh", "chi", "ong", "ba", "ai", "ta", "muon", "can", "xin", "hoi", "giup",
    "biet", "lam", "phai", "nen", "gi", "nao", "dau", "bao", "nhieu", "lau", "gio", "o", "tai", "ve", "vao", "voi",
    "cua", "cac", "nhung", "va", "hoac", "cung", "cho", "con", "co", "khong", "nop", "thu", "tuc", "how",
    "does", "did", "i", "my", "we", "what", "where", "when", "which", "who", "is", "are", "be", "could",
    "would", "will", "should", "please", "of", "in", "on", "at", "for", "with", "from", "need", "want", "get",
))

# words that many procedures' names share ("cấp giấy phép", "đăng ký", "giấy chứng nhận"), folded: a procedure
# that shares only these with a question is not suggested as related to it (``Hit.specific``)
GENERIC_WORDS = frozenset((
    "giay", "phep", "cap", "dang", "ky", "chung", "nhan", "xac", "to", "ban", "sao", "hanh", "chinh", "thu", "tuc",
    "lai", "moi", "doi", "thay", "so", "ho", "the", "de", "nghi", "don", "thong", "tin", "certificate", "license",
    "licence", "permit", "registration", "register", "issue", "new", "change", "copy",
))

# a procedure whose name the question says for the most part (at least NAME_SHARE of its words) gains up to
# NAME_BONUS: "đăng ký khai sinh" is the birth registration itself, not the one combined with a recognition
NAME_SHARE = 0.6
NAME_BONUS = 3.0
SYNONYM_BONUS = 1.0  # added to a procedure's score per syllable of the synonym phrase pointing at it
WEIGHTS = {"name": 3, "name_en": 2, "synonym": 2, "field": 1, "component": 1, "result": 1}
_SEGMENTED = re.compile(r"\S+")
logger = logging.getLogger(__name__)


def segmented_words(text: str) -> list[list[str]]:
    """The words of ``text`` as pyvi segments them, each as its folded syllables."""
    words = []
    for word in _SEGMENTED.findall(ViTokenizer.tokenize(text.lower())):
        syllables = fold(word.replace("_", " ")).split()
        if syllables:
            words.append(syllables)
    return words


def tokens(text: str, *, stop_words: frozenset[str] = frozenset()) -> list[str]:
    """Folded syllables (less ``stop_words``), adjacent pairs (``so_do``) and pyvi's longer compounds."""
    words = segmented_words(text)
    syllables = [s for word in words for s in word]
    out = [s for s in syllables if s not in stop_words]
    out += [f"{a}_{b}" for a, b in zip(syllables, syllables[1:], strict=False)]
    out += ["_".join(word) for word in words if len(word) > 2]
    return out


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    score: float
    coverage: float  # the share of the question's meaningful syllables the procedure holds
    pairs: int = 0  # how many of the question's adjacent pairs of syllables it holds ("so_do")
    synonym: bool = False  # a synonym in the question points at it
    specific: bool = True  # it holds a word the question typed that is not generic (GENERIC_WORDS), or a synonym


    @property
    def confident(self) -> bool:
        """Enough of the question found in the procedure: half its meaningful words, and one of its pairs of words
        or a synonym pointing at it (a lone word may match by chance: "hộ" of "hộ chiếu" in "hộ kinh doanh")."""
        return self.coverage >= 0.5 and (self.pairs > 0 or self.synonym)


@dataclass
class SynonymEntry:
    phrase: str  # folded, padded with spaces
    meaning_tokens: list[str]
    code: str


@dataclass
class Index:
    key: tuple[object, ...]
    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    token_sets: list[frozenset[str]] = field(default_factory=list)  # name, field, results, synonyms
    vocabulary: list[str] = field(default_factory=list)  # single syllables, for typo correction
    synonyms: list[SynonymEntry] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)
    name_syllables: list[frozenset[str]] = field(default_factory=list)  # each name's meaningful syllables
    retriever: bm25s.BM25 | None = None

    def correct(self, syllables: list[str]) -> list[str]:
        """Each syllable the catalogue does not hold replaced by the nearest one it does (typos)."""
        known = set(self.vocabulary)
        out = []
        for s in syllables:
            if s in known or len(s) < 3 or s.isdigit():
                out.append(s)
                continue
            best = process.extractOne(s, self.vocabulary, scorer=fuzz.ratio, score_cutoff=75)
            out.append(best[0] if best else s)
        return out

    def query_tokens(self, question: str) -> tuple[list[str], list[str], dict[str, int], list[str]]:
        """The tokens searched for ``question``, its meaningful syllables (after correction), the procedures
        that the synonyms it holds point at, with the length (in syllables) of the longest such phrase, and its
        specific syllables (meaningful, typed as such, not GENERIC_WORDS)."""
        words = segmented_words(question)
        syllables = self.correct([s for word in words for s in word])
        text = " ".join(syllables)
        query = tokens(text, stop_words=STOP_WORDS)
        query += ["_".join(word) for word in words if len(word) > 2]
        padded = f" {text} "
        codes: dict[str, int] = {}
        for synonym in self.synonyms:
            if synonym.phrase in padded:
                query += synonym.meaning_tokens
                if synonym.code:  # the longest phrase pointing at a procedure counts
                    codes[synonym.code] = max(codes.get(synonym.code, 0), synonym.phrase.count(" ") - 1)
        typed = {s for word in words for s in word}  # a corrected syllable is no evidence of relatedness
        meaningful = [s for s in syllables if s not in STOP_WORDS]
        specific = [s for s in meaningful if s in typed and s not in GENERIC_WORDS]
        return query, meaningful, codes, specific

    def search(self, question: str, *, limit: int = 5) -> list[Hit]:
        if self.retriever is None or not self.codes:
            return []
        query, meaningful, synonym_codes, specific_words = self.query_tokens(question)
        query = [t for t in query if t in self.retriever.vocab_dict]
        if not query:
            return []
        scores = self.retriever.get_scores(query)
        asked = set(meaningful)
        for i, name in enumerate(self.name_syllables):  # the more of its name the question says, the likelier
            if name:
                said = len(name & asked) / len(name)
                if said >= NAME_SHARE:
                    scores[i] += NAME_BONUS * said
        for code, length in synonym_codes.items():  # a synonym tied to a procedure points at it directly
            position = self.positions.get(code)
            if position is not None:
                scores[position] += SYNONYM_BONUS * length
        order = sorted(range(len(self.codes)), key=lambda i: -float(scores[i]))[:limit]
        hits = []
        for i in order:
            if float(scores[i]) <= 0:
                break
            held = sum(1 for s in meaningful if s in self.token_sets[i])
            coverage = held / len(meaningful) if meaningful else 0.0
            pairs = sum(1 for t in query if "_" in t and t in self.token_sets[i])
            if len(meaningful) == 1 and held:  # a one-word question ("karaoke") has no pair to hold
                pairs = max(pairs, 1)
            synonym = self.codes[i] in synonym_codes
            specific = synonym or any(s in self.token_sets[i] for s in specific_words)
            hits.append(Hit(self.codes[i], self.names[i], round(float(scores[i]), 4),
                            1.0 if synonym else round(coverage, 3), pairs, synonym, specific))
        return hits


def catalogue_key() -> tuple[object, ...]:
    """A cheap fingerprint of what the index is built from: two aggregate queries."""
    today = timezone.localdate()
    versions = ProcedureVersion.objects.aggregate(
        n=Count("pk"), newest=Max("created_at"),
        active=Count("pk", filter=Q(status=Status.ACTIVE)),
    )
    synonyms = Synonym.objects.aggregate(n=Count("pk"), newest=Max("updated_at"))
    return (today, versions["n"], versions["newest"], versions["active"], synonyms["n"], synonyms["newest"])


def _document(version: ProcedureVersion, phrases: Iterable[str]) -> tuple[list[str], set[str]]:
    """The tokens of a procedure's document, and those of its name, field, results and synonyms (what a question
    must hold for a confident answer: the documents to bring name many things, "hộ chiếu" among them)."""
    parts: list[tuple[str, str]] = [("name", version.name_vi), ("name_en", version.name_en),
                                    ("field", version.field.name_vi), ("field", version.field.name_en)]
    parts += [("component", c.name_vi) for c in version.components.all()]
    parts += [("result", r.name_vi) for r in version.results.all()]
    parts += [("synonym", phrase) for phrase in phrases]
    out: list[str] = [version.procedure.code]
    strong: set[str] = set()
    for kind, text in parts:
        if text:
            found = tokens(text)
            out += found * WEIGHTS[kind]
            if kind != "component":
                strong.update(found)
    return out, strong


def build(key: tuple[object, ...] | None = None) -> Index:
    """The index of the procedures in force and the active synonyms."""
    key = key or catalogue_key()
    versions = list(
        ProcedureVersion.objects.in_force().filter(status=Status.ACTIVE)
        .select_related("procedure", "field").prefetch_related("components", "results")
        .only("procedure__code", "name_vi", "name_en", "field__name_vi", "field__name_en")
        .order_by("procedure__code")
    )
    synonyms = list(Synonym.objects.filter(active=True).select_related("procedure").order_by("pk"))
    tied: dict[str, list[str]] = {}
    for synonym in synonyms:
        if synonym.procedure is not None:
            tied.setdefault(synonym.procedure.code, []).append(synonym.phrase)
    index = Index(key=key)
    corpus = []
    for version in versions:
        document, strong = _document(version, tied.get(version.procedure.code, []))
        index.positions[version.procedure.code] = len(index.codes)
        index.codes.append(version.procedure.code)
        index.names.append(version.name_vi)
        index.name_syllables.append(frozenset(
            s for word in segmented_words(version.name_vi) for s in word if s not in STOP_WORDS))
        index.token_sets.append(frozenset(strong))
        corpus.append(document)
    index.vocabulary = sorted({t for doc in corpus for t in doc if "_" not in t and not t[:1].isdigit()})
    index.synonyms = [SynonymEntry(f" {fold(s.phrase)} ", tokens(s.meaning) if s.meaning else [],
                                   s.procedure.code if s.procedure else "") for s in synonyms]
    if corpus:
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        index.retriever = retriever
    return index


_lock = threading.Lock()
_state: dict[str, object] = {"index": None, "checked": 0.0}


def current() -> Index:
    """This process's index, rebuilt when the catalogue's key has changed (looked at most every few seconds)."""
    index = _state["index"]
    now = time.monotonic()
    if isinstance(index, Index) and now - float(_state["checked"]) < settings.MOTCUA_ASSISTANT_INDEX_CHECK_SECONDS:  # type: ignore[arg-type]
        return index
    key = catalogue_key()
    with _lock:
        index = _state["index"]
        if not isinstance(index, Index) or index.key != key:
            index = build(key)
            _state["index"] = index
        _state["checked"] = now
    return index


def warm_up() -> None:
    """Build this process's index now (pyvi's model loaded, the catalogue read), so that the first question a web
    worker gets does not wait for it; a failure (no database yet, not migrated) is logged and left for the first
    question. A caller running it in a thread of its own closes that thread's connections afterwards
    (``config.wsgi``)."""
    started = time.monotonic()
    try:
        current()
        logger.info("The assistant's index was built in advance in %.2f s.", time.monotonic() - started)
    except Exception:  # any failure: the first question builds the index and meets the error itself
        logger.warning("The assistant's index could not be built in advance.", exc_info=True)


def forget(**kwargs: object) -> None:
    """Drop this process's index (a catalogue change saved here; the tests)."""
    _state["index"] = None
    _state["checked"] = 0.0
