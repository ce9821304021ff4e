"""Every user-facing string is translated into Vietnamese and Spanish, with the same placeholders."""

import re
from pathlib import Path

import polib
import pytest

import motcua

LOCALE = Path(motcua.__file__).parent / "locale"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{\{ ?[a-z_]+ ?\}\}")


@pytest.mark.parametrize("language", ["vi", "es"])
def test_catalogue_is_complete(language: str) -> None:
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    for entry in po.translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(entry.msgid)), entry.msgid
