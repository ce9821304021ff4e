"""Text normalisation for search: Vietnamese without diacritics, case-insensitive.

Citizens type ``dang ky ket hon`` and expect "Đăng ký kết hôn". Unicode decomposition alone leaves "đ"
untouched, so we use Unidecode, which maps đ/Đ to d/D and strips every tone and vowel mark.
"""

import re

from unidecode import unidecode

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^0-9a-z.\s-]")


def fold(text: str) -> str:
    """Lower-case ASCII form of ``text`` with single spaces, for storing and matching search keys."""
    ascii_text = unidecode(text or "").lower()
    ascii_text = _NOT_WORD.sub(" ", ascii_text)
    return _SPACES.sub(" ", ascii_text).strip()


def search_key(*parts: str) -> str:
    """Stored search key: folded words, each preceded by a space so that a query word matches word starts
    (`` hon`` finds "hôn", not "thông")."""
    return " " + fold(" ".join(parts)) + " "


def search_terms(query: str) -> list[str]:
    """The folded words of a query, each of which must appear in a match."""
    return [term for term in fold(query).split(" ") if term]
