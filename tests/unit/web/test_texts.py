"""UI texts: every area module has English and Portuguese for the same keys, none empty, with
the same placeholders; every module is registered; every text a template names exists."""

from __future__ import annotations

import pkgutil
import re
from importlib import import_module
from pathlib import Path
from types import ModuleType

import pytest

from plantao.web import i18n, texts

TEMPLATES = Path(i18n.__file__).parent / "templates"
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
ATTRIBUTE = re.compile(r"(?<![\w.])t\.([A-Za-z_]\w*)")
SUBSCRIPT = re.compile(r"""(?<![\w.])t(?:\[|\.get\()\s*(["'])([^"']+)\1\s*[\])]""")
REBINDING = re.compile(
    r"\{%-?\s*(?:for\s+(?:[\w\s,]*,\s*)?t\s*(?:,|\s+in\b)|set\s+t\s*=|macro\s+\w+\([^)]*\bt\b)"
)
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
DICT_METHODS = {"get", "items", "keys", "values"}


def areas() -> list[ModuleType]:
    return [
        import_module(f"{texts.__name__}.{info.name}")
        for info in pkgutil.iter_modules(texts.__path__)
    ]


def templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def used_keys(source: str) -> set[str]:
    keys: set[str] = set()
    for block in JINJA.findall(source):
        keys.update(k for k in ATTRIBUTE.findall(block) if k not in DICT_METHODS)
        keys.update(key for _, key in SUBSCRIPT.findall(block))
    return keys


@pytest.mark.parametrize("area", areas(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_area_has_both_languages_with_the_same_keys(area: ModuleType) -> None:
    """An area module defines EN and PT_BR with exactly the same keys."""
    en, pt = area.EN, area.PT_BR
    assert isinstance(en, dict) and isinstance(pt, dict)
    assert sorted(en.keys() - pt.keys()) == [], "keys only in English"
    assert sorted(pt.keys() - en.keys()) == [], "keys only in Portuguese"
    assert en, "an area with no texts"


@pytest.mark.parametrize("area", areas(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_no_text_is_empty(area: ModuleType) -> None:
    """Every text, in both languages, is a non-blank string."""
    for language in ("EN", "PT_BR"):
        blank = [
            k for k, v in getattr(area, language).items() if not isinstance(v, str) or not v.strip()
        ]
        assert blank == [], f"{language}: blank texts"


@pytest.mark.parametrize("area", areas(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_placeholders_match(area: ModuleType) -> None:
    """A text's {placeholders} are the same in English and Portuguese (a translation that drops
    one would show a raw brace or lose a value)."""
    differ = {
        key: (sorted(PLACEHOLDER.findall(en)), sorted(PLACEHOLDER.findall(area.PT_BR[key])))
        for key, en in area.EN.items()
        if key in area.PT_BR
        and sorted(PLACEHOLDER.findall(en)) != sorted(PLACEHOLDER.findall(area.PT_BR[key]))
    }
    assert differ == {}


def test_every_area_module_is_registered() -> None:
    """Each module under plantao.web.texts is merged into the UI texts by i18n.AREAS."""
    registered = {m.__name__ for m in i18n.AREAS}
    assert sorted(m.__name__ for m in areas() if m.__name__ not in registered) == []


def test_merged_texts_have_the_same_keys_in_both_languages() -> None:
    """The merged tables the pages use offer English and Portuguese for the same keys."""
    assert i18n.TEXTS["en"].keys() == i18n.TEXTS["pt-BR"].keys()


def test_templates_never_rebind_t() -> None:
    """``t`` is the texts table in every template; a loop or macro argument named ``t`` would
    hide it (and this file's check of the keys templates use)."""
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in templates()
        if REBINDING.search(path.read_text())
    ]
    assert offenders == []


def test_every_text_a_template_names_exists() -> None:
    """Each literal key a template reads (t.key, t["key"], t.get("key")) exists in the texts."""
    assert templates(), "no templates found"
    known = i18n.TEXTS["en"].keys()
    missing = {
        str(path.relative_to(TEMPLATES)): sorted(used_keys(path.read_text()) - known)
        for path in templates()
    }
    assert {name: keys for name, keys in missing.items() if keys} == {}


def test_the_key_scanner_reads_jinja_only() -> None:
    """The scanner finds keys inside {{ }} and {% %} (attribute and subscript forms) and
    ignores prose such as "it.t.txt" outside them."""
    source = (
        '<p>don\'t. t.not_a_key</p>{{ t.alpha }} {% if x %}{{ t["beta"] }}{% endif %}'
        "{{ t['gamma'] }} {{ t.get('delta') }} {{ t[dynamic] }} {{ at.epsilon }}"
    )
    assert used_keys(source) == {"alpha", "beta", "gamma", "delta"}
