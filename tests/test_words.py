"""The strip's words as the region writes them: weather, currency names, scripts, colours.

Checked against outside references: the national weather services' wording, CLDR
through Babel (``uz``, ``uz_Cyrl``, ``kk_Arab``, ``ky``, ``tg``), the Kazakh
transliterator ``qazaq-transliterator``, the Kyrgyz and Tajik alphabets and the
Chinese quote boards' colours.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml
from babel import Locale

from ticker import Store, create_app
from ticker._iso4217 import ISO_4217_CODES
from ticker._languages import LANGUAGE_NAMES
from ticker._strip.i18n import LANGUAGES, PHRASES, REASONS, condition_name, currency_name
from ticker._transliterate import HAMZA, kk_arabic, kk_latin, uz_cyrillic, uz_latin
from ticker.sources import adapter_names, load_adapter

from .conftest import NOW, SETTINGS_YAML, make_settings

ROOT = Path(__file__).parents[1]
WIDGET_CSS = ROOT / "ticker" / "static" / "widget.css"

#: The WMO codes Open-Meteo documents (upstream-formats.md, section 3).
WMO_CODES = [0, 1, 2, 3, 45, 48, 51, 53, 55, 56, 57, 61, 63, 65, 66, 67, 71, 73, 75, 77, 80, 81,
             82, 85, 86, 95, 96, 99]  # fmt: skip

#: Every language of the strip, Uzbek in both scripts.
ALL_LANGUAGES = sorted({*LANGUAGES, "uz-Latn"})
NOT_ENGLISH = [lang for lang in ALL_LANGUAGES if lang != "en"]

#: Uzbek Latin's two signs (the 1995 alphabet): oʻ and gʻ, and the tutuq belgisi.
OKINA, TUTUQ = "\u02bb", "\u02bc"
#: What a keyboard or CLDR writes in their place.
WRONG_APOSTROPHES = "'\u2018\u2019`\u00b4"


# --- Weather words as the national services write them -------------------------------


@pytest.mark.parametrize(
    ("code", "lang", "words"),
    [
        (1, "ru", "Малооблачно"),
        (48, "ru", "Туман с изморозью"),
        (80, "ru", "Небольшой ливневый дождь"),
        (85, "ru", "Небольшой ливневый снег"),
        (86, "ru", "Сильный ливневый снег"),
        (2, "kk", "Ауыспалы бұлтты"),
        (61, "kk", "Аздаған жаңбыр"),
        (71, "kk", "Аздаған қар"),
        (80, "kk", "Өткінші жаңбыр"),
        (85, "kk", "Өткінші қар"),
        (75, "kk", "Қалың қар"),
        (1, "zh", "少云"),
        (2, "zh", "多云"),
        (95, "zh", "雷阵雨"),
        (96, "zh", "雷阵雨伴有冰雹"),
        (48, "zh", "冻雾"),
        (1, "uz", "Кам булутли"),
        (2, "uz", "Ўзгарувчан булутли"),
        (51, "uz", "Кучсиз шивалама"),
        (56, "uz", "Кучсиз музли шивалама"),
        (61, "uz", "Кучсиз ёмғир"),
        (66, "uz", "Кучсиз музли ёмғир"),
        (71, "uz", "Кучсиз қор"),
        (80, "uz", "Қисқа муддатли ёмғир"),
        (61, "uz-Latn", "Kuchsiz yomgʻir"),
        (2, "uz-Latn", "Oʻzgaruvchan bulutli"),
        (80, "uz-Latn", "Qisqa muddatli yomgʻir"),
        (0, "ky", "Ачык"),
        (2, "ky", "Өзгөрмөлүү булуттуу"),
        (3, "ky", "Бүркөк"),
        (80, "ky", "Мезгил-мезгили менен жаан"),
        (81, "ky", "Нөшөрлүү жаан"),
        (85, "ky", "Мезгил-мезгили менен кар"),
        (95, "ky", "Күн күркүрөө"),
        (96, "ky", "Мөндүрлүү күн күркүрөө"),
        (2, "tg", "Абрнокии тағйирёбанда"),
        (3, "tg", "Абрнок"),
        (71, "tg", "Барфи суст"),
        (81, "tg", "Борони кӯтоҳмуддат"),
        (85, "tg", "Барфи кӯтоҳмуддат"),
        (95, "tg", "Раъду барқ"),
        (96, "tg", "Раъду барқ бо жола"),
    ],
    ids=lambda value: str(value),
)
def test_weather_words_are_the_national_services(code, lang, words):
    """Each code reads as Roshydromet, Kazhydromet, the CMA, Uzhydromet, Kyrgyzhydromet or
    Tajikistan's Agency for Hydrometeorology write it."""
    assert condition_name(code, lang) == words


@pytest.mark.parametrize(
    ("lang", "calque"),
    [("ru", "Преимущественно"), ("ru", "Снегопад"), ("kk", "Ішінара"), ("kk", "Әлсіз нөсер"),
     ("kk", "Нөсерлі қар"), ("zh", "雷暴"), ("zh", "雾凇"), ("zh", "局部"), ("uz", "Енгил"),
     ("uz", "Асосан"), ("uz", "Қисман"), ("ky", "Негизинен"), ("ky", "Жарым-жартылай"),
     ("tg", "Асосан")],
    ids=lambda value: value,
)  # fmt: skip
def test_no_weather_word_is_a_calque(lang, calque):
    """The calques of Open-Meteo's English are gone from every code."""
    assert not [code for code in WMO_CODES if calque in (condition_name(code, lang) or "")]


def test_uzbek_latin_has_words_for_every_code():
    """uz-Latn has its own, distinct words for each documented code."""
    words = [condition_name(code, "uz-Latn") for code in WMO_CODES]
    assert all(words)
    assert len(set(words)) == len(WMO_CODES)


def uzbek_signs_wrong(text: str) -> list[str]:
    """Where ``text`` writes Uzbek Latin's signs otherwise than U+02BB after o, g and U+02BC."""
    wrong = [char for char in text if char in WRONG_APOSTROPHES]
    for index, char in enumerate(text):
        after_o_or_g = index > 0 and text[index - 1] in "oOgG"
        if (char == OKINA and not after_o_or_g) or (char == TUTUQ and after_o_or_g):
            wrong.append(text[max(index - 1, 0) : index + 1])
    return wrong


@pytest.mark.parametrize("code", WMO_CODES)
def test_uzbek_latin_writes_its_own_apostrophes(code):
    """oʻ, gʻ are U+02BB and the tutuq belgisi U+02BC; no ASCII apostrophe or U+2018."""
    assert uzbek_signs_wrong(condition_name(code, "uz-Latn") or "") == []


@pytest.mark.parametrize("code", WMO_CODES)
def test_uzbek_scripts_say_the_same_words(code):
    """The Latin and Cyrillic columns are one text in two scripts, letter for letter."""
    latin, cyrillic = condition_name(code, "uz-Latn"), condition_name(code, "uz")
    assert latin is not None
    assert cyrillic is not None
    assert uz_cyrillic(latin) == cyrillic
    assert uz_latin(cyrillic) == latin


# --- Currency names --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "lang", "name"),
    [("KZT", "uz", "Қозоғистон тенгеси"), ("RUB", "uz", "Россия рубли"),
     ("UZS", "uz", "Ўзбекистон сўми"), ("USD", "uz", "АҚШ доллари"), ("EUR", "uz", "Евро"),
     ("CNY", "uz", "Хитой юани"), ("CHF", "uz", "Швейцария франки"),
     ("KZT", "uz-Latn", "Qozogʻiston tengesi"), ("UZS", "uz-Latn", "Oʻzbekiston soʻmi"),
     ("USD", "uz-Latn", "AQSH dollari"), ("XXX", "uz-Latn", "Nomaʼlum valyuta")],
    ids=lambda value: value,
)  # fmt: skip
def test_uzbek_currency_names_as_the_central_bank_writes_them(code, lang, name):
    """CLDR uz's names, in Cyrillic by rule where uz_Cyrl lacks them or differs."""
    assert currency_name(code, lang) == name


def test_uzbek_latin_currency_names_are_cldr_uz_with_the_uzbek_signs():
    """Every uz-Latn name is CLDR uz's, with U+02BB and U+02BC for CLDR's quotation marks."""
    cldr = Locale.parse("uz").currencies
    for code, name in cldr.items():
        ours = currency_name(code, "uz-Latn")
        assert uzbek_signs_wrong(ours) == [], code
        assert ours == name.replace("‘", OKINA).replace("’", TUTUQ), code


def configured_currencies() -> set[str]:
    """The currencies of every configuration the project ships, and the base KZT."""
    files = [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "ticker" / "default.yaml"]
    found = {"KZT"}
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.update((document.get("rates") or {}).get("currencies") or [])
    return found


#: Where a language's own name is spelled as the English one (Kazakh Еуро in Latin).
SAME_SPELLING = {("kk-Latn", "EUR")}


@pytest.mark.parametrize("lang", NOT_ENGLISH)
def test_no_currency_name_is_english_in_another_language(lang):
    """No currency of ISO 4217, configured or not, is named in English outside en."""
    english = Locale.parse("en").currencies
    assert configured_currencies() <= ISO_4217_CODES
    leaked = [
        code
        for code in sorted(ISO_4217_CODES)
        if currency_name(code, lang) == english.get(code) and (lang, code) not in SAME_SPELLING
    ]
    assert leaked == []


@pytest.mark.parametrize("lang", NOT_ENGLISH)
def test_configured_currencies_have_names_in_every_language(lang):
    """The configured currencies all have a name of the language, not just their code."""
    assert [
        code for code in sorted(configured_currencies()) if currency_name(code, lang) == code
    ] == []


def test_a_currency_without_a_cldr_name_keeps_its_code():
    """CLDR kk and uz have no name for XDR: the code, never Special Drawing Rights."""
    assert currency_name("XDR", "kk") == "XDR"
    assert currency_name("XDR", "uz") == "XDR"
    assert currency_name("XDR", "en") == "Special Drawing Rights"


# --- Kyrgyz and Tajik in their own letters --------------------------------------------

#: The Kyrgyz Cyrillic alphabet: the Russian letters and ң, ө, ү.
KYRGYZ_LETTERS = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюяңөү")
#: The Tajik Cyrillic alphabet of 1998: ғ ӣ қ ӯ ҳ ҷ, and no ц, щ, ы or ь.
TAJIK_LETTERS = frozenset("абвгғдеёжзиӣйкқлмнопрстуӯфхҳчҷшъэюя")
ALPHABETS = {"ky": KYRGYZ_LETTERS, "tg": TAJIK_LETTERS}
#: The letters each language has and Russian has not.
OWN_LETTERS = {"ky": "ңөү", "tg": "ғӣқӯҳҷ"}
#: Words the language spells with its own letters, and the Russian-letter spelling
#: (у for ӯ, х for ҳ, к for қ, о for ө...) that must appear nowhere instead.
OWN_SPELLINGS = {
    "ky": {"өзгөр": "озгор", "бүркөк": "буркок", "күркүрө": "куркуро", "мөндүр": "мондур",
           "нөшөр": "нешер", "жаңырт": "жанырт", "көрсөт": "корсот", "бүгүн": "бугун",
           "үчүн": "учун", "күтүл": "кутул"},
    "tg": {"ҳаво": "хаво", "кӯтоҳ": "кутох", "барқ": "барк", "қурб": "курб", "қимат": "кимат",
           "тағйир": "тагйир", "тоҷик": "точик", "навсозӣ": "навсози", "кӯҳна": "кухна",
           "ғайриимкон": "гайриимкон", "қиров": "киров", "имрӯз": "имруз"},
}  # fmt: skip
#: The upstreams' own names, which the weather credits keep as they are.
UPSTREAM_NAMES = ("Open-Meteo.com", "MET Norway", "CC BY 4.0", "OpenWeather")


def weather_credits(lang: str) -> list[str]:
    """The credits of the weather adapters in ``lang``, without the upstreams' names."""
    texts = []
    for name in adapter_names("weather"):
        if name == "static":
            continue
        text = load_adapter("weather", name).credit_texts[lang]
        for upstream in UPSTREAM_NAMES:
            text = text.replace(upstream, " ")
        texts.append(text)
    return texts


def own_texts(lang: str) -> list[str]:
    """Every word the strip writes in ``lang`` itself: weather, widget, reasons, name, credits."""
    return [
        *(condition_name(code, lang) or "" for code in WMO_CODES),
        *(texts[lang] for texts in PHRASES.values()),
        *(texts[lang] for texts in REASONS.values()),
        LANGUAGE_NAMES[lang],
        *weather_credits(lang),
        *(currency_name(code, lang) for code in sorted(configured_currencies())),
    ]


def letters(text: str) -> set[str]:
    """The letters of ``text``, lower-cased, without the blanks' names (``{ago}``)."""
    return {char for char in re.sub(r"\{\w+\}", "", text).lower() if char.isalpha()}


@pytest.mark.parametrize("lang", ["ky", "tg"])
def test_kyrgyz_and_tajik_words_are_cyrillic_only(lang):
    """No Latin letter, no Kazakh, Uzbek or Russian-only letter: the language's alphabet alone."""
    for text in own_texts(lang):
        assert letters(text) <= ALPHABETS[lang], (text, letters(text) - ALPHABETS[lang])
        assert {unicodedata.name(char).split()[0] for char in letters(text)} <= {"CYRILLIC"}


@pytest.mark.parametrize("lang", ["ky", "tg"])
def test_kyrgyz_and_tajik_use_their_own_letters(lang):
    """Kyrgyz writes ң ө ү, Tajik ғ ӣ қ ӯ ҳ ҷ: every one of them appears in the strip's words."""
    used = set().union(*(letters(text) for text in own_texts(lang)))
    assert set(OWN_LETTERS[lang]) <= used


@pytest.mark.parametrize(
    ("lang", "own", "substitute"),
    [(lang, own, substitute) for lang, pairs in OWN_SPELLINGS.items()
     for own, substitute in pairs.items()],
    ids=lambda value: value,
)  # fmt: skip
def test_no_russian_letter_stands_in_for_the_languages_own(lang, own, substitute):
    """A word the language spells with its own letters is never written with Russian ones."""
    texts = [text.lower() for text in own_texts(lang)]
    if lang == "tg":
        texts += [currency_name(code, lang).lower() for code in ("KZT", "TJS", "UZS")]
    assert any(own in text for text in texts), own
    assert not [text for text in texts if substitute in text]


@pytest.mark.parametrize(
    ("code", "lang", "name"),
    [("KGS", "ky", "Кыргызстан сому"), ("KZT", "ky", "Казакстан теңгеси"),
     ("UZS", "ky", "Өзбекстан суму"), ("RUB", "ky", "орус рублу"), ("CNY", "ky", "Кытай юаны"),
     ("TJS", "ky", "Тажикстан сомониси"), ("USD", "ky", "АКШ доллары"),
     ("TJS", "tg", "Сомонии Тоҷикистон"), ("KGS", "tg", "Соми Қирғизистон"),
     ("RUB", "tg", "Рубли русӣ"), ("USD", "tg", "Доллари ИМА"), ("EUR", "tg", "Евро"),
     ("CNY", "tg", "Юани Хитой"), ("KZT", "tg", "Тангаи Қазоқистон"),
     ("UZS", "tg", "Сӯми Ӯзбекистон"), ("XDR", "ky", "XDR"), ("XDR", "tg", "XDR")],
    ids=lambda value: value,
)  # fmt: skip
def test_kyrgyz_and_tajik_currency_names_are_cldrs(code, lang, name):
    """CLDR ky's and tg's names, Tajik's put right where CLDR misspells it; else the code."""
    assert currency_name(code, lang) == name


@pytest.mark.parametrize(
    ("code", "cldr"),
    [("CNY", "Иенаи хитоӣ"), ("KZT", "Тангаи Казокистон"), ("UZS", "Сўми Ӯзбекистон"),
     ("PLN", "Злотии Польша"), ("LAK", "Кипи Лаосй")],
    ids=lambda value: value,
)  # fmt: skip
def test_tajik_puts_right_what_cldr_misspells(code, cldr):
    """CLDR tg names CNY a yen and spells four names with letters Tajik does not write there."""
    assert Locale.parse("tg").currencies[code] == cldr
    assert currency_name(code, "tg") != cldr


@pytest.mark.parametrize("lang", ["ky", "tg"])
def test_every_kyrgyz_and_tajik_currency_name_is_in_the_alphabet(lang):
    """Each of CLDR's names, as the strip writes it, is CLDR's (or put right) in the alphabet.

    Latin capitals are the names' own abbreviations (``Франки CFA``), as in CLDR ru.
    """
    for code, cldr in Locale.parse(lang).currencies.items():
        name = currency_name(code, lang)
        assert name == cldr or lang == "tg", code
        bare = re.sub(r"\b[A-Z]{3}\b", "", name)
        assert letters(bare) <= ALPHABETS[lang], (code, name)


# --- Kazakh in Latin -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [("Иран", "İran"), ("Италия", "İtaliia"), ("Йод", "İod"), ("Ясауи", "İasaui"),
     ("Юрий", "İurii"), ("ИРАН", "İRAN"), ("ЮНЕСКО", "İUNESKO"), ("Ілияс", "Iliias"),
     ("Іле", "Ile"), ("Қазақстан", "Qazaqstan"), ("теңге", "teñge")],
    ids=lambda value: value,
)  # fmt: skip
def test_kazakh_latin_capital_i_is_dotted(cyrillic, latin):
    """Capital И and Й are İ (2021 table); word-initial Ю, Я are İu, İa; І is I."""
    assert kk_latin(cyrillic) == latin


#: Words in the letters on which the 2021 table and qazaq-transliterator agree (it
#: writes ң as the 2018 draft's ŋ, and ц, ч, щ, ё, ъ, ь otherwise; a word in capitals
#: is ours İU..., its İu...).
AGREED_WORDS = [
    "Иран", "Италия", "Ислам", "Йемен", "Ясауи", "Юпитер", "Ақтөбе", "Әлсіз",
    "Ауыспалы", "бұлтты", "Өткінші", "Аздаған", "қар", "Қазақстан", "Қырау", "тұман", "Сіркіреме",
    "Бұршақты", "найзағай", "Ішінара", "Үндістан", "Жапония", "Грузия", "Түркістан", "Ұлытау",
    "Шымкент", "Өскемен", "Қызылорда", "Атырау", "Жезқазған", "Тараз", "Семей", "Павлодар",
    "Көкшетау", "Орал", "Қостанай", "Түрік", "лирасы", "Қытай", "юані", "Ресей", "рублі",
    "Еуро", "Бағам", "Дереккөздер", "Ауа", "райы", "Мұзды", "Сәуір", "АҚШ", "Һиджра",
]  # fmt: skip


def test_kazakh_latin_agrees_with_qazaq_transliterator():
    """On the letters both write, the strip's Latin is qazaq-transliterator's, word by word."""
    other = pytest.importorskip("qazaq_transliterator")
    assert not [word for word in AGREED_WORDS if set(word.lower()) & set("ңцчщёъь")]
    differ = [
        (word, kk_latin(word)) for word in AGREED_WORDS if kk_latin(word) != other.translit(word)
    ]
    assert differ == []


def test_kazakh_latin_writes_the_2021_n_with_tilde():
    """ң is ñ in the 2021 table (qazaq-transliterator's ŋ is the 2018 draft's)."""
    assert kk_latin("Ң ң") == "Ñ ñ"


# --- Kazakh in Arabic script -----------------------------------------------------------


@pytest.mark.parametrize(
    ("cyrillic", "arabic"),
    [("Италия", "يتاليا"), ("Франция", "فرانسيا"), ("рублі", "رۋبىلى"), ("юані", "يۋانى"),
     ("АҚШ", "ا ق ش"), ("лариі", "لاريى"), ("Ямайка", "يامايكا"), ("пенджаб", "پەنجاب"),
     ("Әлсіз", HAMZA + "السىز"), ("тілі", HAMZA + "تىلى")],
    ids=["Италия", "Франция", "рублі", "юані", "АҚШ", "лариі", "Ямайка", "пенджаб", "Әлсіз",
         "тілі"],
)  # fmt: skip
def test_kazakh_arabic_follows_cldr_spelling(cyrillic, arabic):
    """ц is س, -ия is يا, loan endings have no hamza, abbreviations go letter by letter."""
    assert kk_arabic(cyrillic) == arabic


#: Names whose every word the rules must write as CLDR kk_Arab does.
CLDR_NAMES = {
    "currencies": ["USD", "CNY", "RUB", "BYN", "CHF", "GEL", "INR", "AZN", "TRY", "GBP", "AED",
                   "SEK", "NOK", "IDR", "BRL", "MYR", "EUR"],
    "territories": ["IT", "FR", "CH", "JM", "TR", "DE", "ES", "JO", "IN", "CN", "UZ", "US", "JP",
                    "GE", "AZ"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "key"),
    [(kind, key) for kind, keys in CLDR_NAMES.items() for key in keys],
    ids=lambda value: value,
)
def test_kazakh_arabic_rules_agree_with_cldr(kind, key):
    """The Cyrillic kk name written by rule is CLDR's kk_Arab name, letter for letter."""
    cyrillic = getattr(Locale.parse("kk"), kind)[key]
    assert kk_arabic(cyrillic) == getattr(Locale.parse("kk_Arab"), kind)[key]


def test_the_hamza_is_cldrs_one_code_point():
    """Front words take U+0621 as CLDR kk_Arab does; U+0674 appears nowhere."""
    assert unicodedata.name(HAMZA) == "ARABIC LETTER HAMZA"
    cldr = "".join(Locale.parse("kk_Arab").currencies.values())
    assert HAMZA in cldr
    assert "\u0674" not in cldr
    texts = [condition_name(code, "kk-Arab") or "" for code in WMO_CODES]
    texts += [currency_name(code, "kk-Arab") for code in sorted(ISO_4217_CODES)]
    assert any(HAMZA in text for text in texts)
    assert not [text for text in texts if "\u0674" in text]


# --- Colours ---------------------------------------------------------------------------


def css_rules(css: str) -> dict[str, dict[str, str]]:
    """widget.css's custom properties by selector (an @media's rules prefixed with it)."""
    rules: dict[str, dict[str, str]] = {}
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    for media, body in re.findall(r"(@media[^{]+)\{((?:[^{}]*\{[^{}]*\})*)\s*\}", css):
        for selector, block in re.findall(r"([^{}]+)\{([^{}]*)\}", body):
            rules[f"{media.strip()} {selector.strip()}"] = dict(
                re.findall(r"(--[\w-]+):\s*([^;]+);", block)
            )
    css = re.sub(r"@media[^{]+\{(?:[^{}]*\{[^{}]*\})*\s*\}", "", css)
    for selector, block in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        rules.setdefault(selector.strip(), {}).update(re.findall(r"(--[\w-]+):\s*([^;]+);", block))
    return rules


def fallback(value: str) -> tuple[str, str]:
    """``var(--ticker-up, #18794e)`` as (the property read, its default)."""
    match = re.fullmatch(r"var\((--[\w-]+),\s*([^)]+)\)", value.strip())
    assert match is not None, value
    return match.group(1), match.group(2)


@pytest.mark.parametrize(
    ("everywhere", "chinese"),
    [(".ticker", ".ticker:lang(zh)"),
     ('.ticker[data-theme="dark"]', '.ticker[data-theme="dark"]:lang(zh)'),
     ('@media (prefers-color-scheme: dark) .ticker[data-theme="auto"]',
      '@media (prefers-color-scheme: dark) .ticker[data-theme="auto"]:lang(zh)')],
    ids=["light", "dark", "auto-dark"],
)  # fmt: skip
def test_chinese_up_is_red_and_down_is_green(everywhere, chinese):
    """In zh the default colours of up and down are swapped; the same properties set them."""
    rules = css_rules(WIDGET_CSS.read_text(encoding="utf-8"))
    up, down = fallback(rules[everywhere]["--_up"]), fallback(rules[everywhere]["--_down"])
    zh_up, zh_down = fallback(rules[chinese]["--_up"]), fallback(rules[chinese]["--_down"])
    assert (zh_up[0], zh_down[0]) == (up[0], down[0])
    assert (zh_up[1], zh_down[1]) == (down[1], up[1])
    assert is_red(zh_up[1])
    assert is_green(zh_down[1])


def rgb(colour: str) -> tuple[int, int, int]:
    """``#c4320a`` or ``rgb(196, 50, 10)`` as numbers."""
    if colour.startswith("#"):
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
    red, green, blue = (int(part) for part in re.findall(r"\d+", colour)[:3])
    return red, green, blue


def is_red(colour: str) -> bool:
    """Red dominates."""
    red, green, blue = rgb(colour)
    return red > green and red > blue


def is_green(colour: str) -> bool:
    """Green dominates."""
    red, green, blue = rgb(colour)
    return green > red and green > blue


async def fragment(aiohttp_client, store: Store, lang: str) -> str:
    """The /widget fragment of the reference strip (USD up, EUR down) in ``lang``."""
    client = await aiohttp_client(
        create_app(make_settings(SETTINGS_YAML), store=store, clock=lambda: NOW)
    )
    return await (await client.get("/widget", params={"lang": lang})).text()


async def test_the_strip_says_its_language_for_the_colours(aiohttp_client, filled_store):
    """The strip's root carries lang, so :lang(zh) picks the Chinese colours, and only there."""
    chinese = await fragment(aiohttp_client, filled_store, "zh")
    english = await fragment(aiohttp_client, filled_store, "en")
    assert re.search(r'<div class="ticker" lang="zh(-[A-Za-z]+)?"', chinese)
    assert re.search(r'<div class="ticker" lang="en"', english)


CHROMIUM = shutil.which("chromium")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable on PATH")
async def test_chromium_paints_chinese_rises_red(aiohttp_client, filled_store):
    """In Chromium a zh rise is red and a fall green, an en rise green; --ticker-up still wins."""
    playwright_api = pytest.importorskip("playwright.async_api")
    css = WIDGET_CSS.read_text(encoding="utf-8")
    chinese = await fragment(aiohttp_client, filled_store, "zh")
    english = await fragment(aiohttp_client, filled_store, "en")
    page_html = (
        f'<!doctype html><html lang="en"><head><style>{css}</style></head><body>'
        f'<div id="zh">{chinese}</div><div id="en">{english}</div>'
        f'<div id="themed" style="--ticker-up: rgb(0, 0, 255)">{chinese}</div></body></html>'
    )
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = await browser.new_page(color_scheme="light")
            await page.set_content(page_html)

            async def colour(selector: str) -> str:
                return await page.eval_on_selector(selector, "e => getComputedStyle(e).color")

            assert is_red(await colour("#zh .ticker-up .ticker-change"))
            assert is_green(await colour("#zh .ticker-down .ticker-change"))
            assert is_green(await colour("#en .ticker-up .ticker-change"))
            assert is_red(await colour("#en .ticker-down .ticker-change"))
            assert await colour("#themed .ticker-up .ticker-change") == "rgb(0, 0, 255)"
        finally:
            await browser.close()


def test_a_city_named_in_one_uzbek_script_is_shown_in_the_other():
    """A city named only in Cyrillic Uzbek reads in Latin for uz-Latn (and back), not English."""
    from ticker._config import City

    def city(names: dict[str, str]) -> City:
        return City.model_validate(
            {"id": "x", "name": names, "latitude": 41.3, "longitude": 69.2,
             "timezone": "Asia/Tashkent"}
        )  # fmt: skip

    assert city({"en": "Fergana", "uz": "Фарғона"}).display_name("uz-Latn") == "Fargʻona"
    assert city({"en": "Tashkent", "uz-Latn": "Toshkent"}).display_name("uz") == "Тошкент"
