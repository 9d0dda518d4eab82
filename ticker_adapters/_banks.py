"""How a national bank's rates document is read, for the banks' adapters.

The banks (``cbr``, ``nbkr``, ``nbt``, ``cbu``, ``nbk``) write their documents with
other tags, date forms and decimal marks, but every one is read the same way: a safe
XML root of the expected tag; a date checked against the window of
:func:`ticker.sources.date_problem` in the bank's calendar; numbers bounded in length
and matched to a pattern before :class:`~decimal.Decimal` reads them; one rate per
entry, whose problem costs that entry alone and is named by its code; a code listed
twice used neither time.  That way is written here once, so a bound or a message
fixed for one bank holds for all of them.  Adapter-private, like :mod:`ticker_adapters._wmo`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Literal, TypeVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml.ElementTree import fromstring
from pydantic import ValidationError

from ticker import Rate, UpstreamFormatError
from ticker.sources import RateList, Skipped, date_problem, describe

__all__ = [
    "CODE",
    "DECIMAL_COMMA",
    "DECIMAL_POINT",
    "MAX_NUMBER_CHARACTERS",
    "WHOLE",
    "DateForm",
    "bounded_number",
    "coded",
    "document_date",
    "entry_rates",
    "format_errors",
    "keep_prevailing_date",
    "rate_list",
    "read_date",
    "safe_xml",
    "shown",
    "xml_root",
]

#: No value, change or nominal a bank writes is longer (``-123456789012.1234567890``):
#: a longer text is refused before it is read, and cut where a message shows it.
MAX_NUMBER_CHARACTERS = 24

CODE = re.compile(r"[A-Z]{3}")
# ASCII digits only: \d alone takes any script's digits, and Decimal would read them.
DECIMAL_COMMA = re.compile(r"\d+(?:,\d+)?", re.ASCII)
DECIMAL_POINT = re.compile(r"\d+(?:\.\d+)?", re.ASCII)
WHOLE = re.compile(r"\d+", re.ASCII)

#: How a bank writes a date.
DateForm = Literal["DD.MM.YYYY", "YYYY-MM-DD", "DD.MM.YYYY or DD.MM.YY"]
_DATE_FORMS: Mapping[DateForm, re.Pattern[str]] = {
    "DD.MM.YYYY": re.compile(r"(?P<day>\d{2})\.(?P<month>\d{2})\.(?P<year>\d{4})", re.ASCII),
    "YYYY-MM-DD": re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})", re.ASCII),
    # The National Bank of Kazakhstan's 2016 feed wrote DD.MM.YY.
    "DD.MM.YYYY or DD.MM.YY": re.compile(
        r"(?P<day>\d{2})\.(?P<month>\d{2})\.(?P<year>\d{4}|\d{2})", re.ASCII
    ),
}

_Entry = TypeVar("_Entry")


def safe_xml(body: bytes, source: str) -> Element:
    """The root of ``body``, parsed with no entity, bomb or external reference."""
    try:
        return fromstring(body)
    # DefusedXmlException (an entity, a bomb) is a ValueError; an unknown declared
    # encoding raises LookupError, a multi-byte one ValueError.
    except (ParseError, LookupError, ValueError) as exc:
        raise UpstreamFormatError(source, f"not safe, well-formed XML: {exc}") from exc


def xml_root(body: bytes, source: str, tag: str) -> Element:
    """The root of ``body``, which must be a safe ``<tag>`` document."""
    root = safe_xml(body, source)
    if root.tag != tag:
        raise UpstreamFormatError(source, f"expected a <{tag}> document, got <{root.tag}>")
    return root


def read_date(text: str | None, form: DateForm, label: str, today: dt.date) -> dt.date:
    """The date ``text`` writes in ``form``, in the window around ``today``.

    ``ValueError`` says why not, after ``label``; a two-digit year is of this century.
    """
    match = _DATE_FORMS[form].fullmatch((text or "").strip())
    if match is None:
        raise ValueError(f"{label} {shown(text)!r} is not {form}")
    year = int(match["year"]) + (2000 if len(match["year"]) == 2 else 0)
    try:
        date = dt.date(year, int(match["month"]), int(match["day"]))
    except ValueError as exc:
        raise ValueError(f"{label} {match[0]!r}: {exc}") from exc
    problem = date_problem(date, today=today)
    if problem is not None:
        raise ValueError(f"{label}: {problem}")
    return date


def document_date(root: Element, source: str, form: DateForm, today: dt.date) -> dt.date:
    """The date in ``root``'s ``Date`` attribute: a wrong one fails the whole document."""
    try:
        return read_date(root.get("Date"), form, f"{root.tag} Date", today)
    except ValueError as exc:
        raise UpstreamFormatError(source, str(exc)) from exc


def bounded_number(text: str | None, name: str, pattern: re.Pattern[str], example: str) -> Decimal:
    """The number ``text`` writes in ``pattern``, whose decimal mark is a comma or a point.

    ``ValueError`` names ``name`` (and gives ``example``) when the text is too long to be
    a value or not in the pattern.
    """
    text = (text or "").strip()
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise ValueError(f"{name} is {len(text)} characters long: no value is")
    if not pattern.fullmatch(text):
        raise ValueError(f"{name} {text!r} is not a number such as {example}")
    return Decimal(text.replace(",", "."))


def shown(text: str | None) -> str:
    """A text for a message, cut when it is long."""
    text = (text or "").strip()
    return text if len(text) <= MAX_NUMBER_CHARACTERS else f"{text[:MAX_NUMBER_CHARACTERS]}…"


@contextmanager
def format_errors(source: str, code: str) -> Iterator[None]:
    """Within it, a ``ValidationError`` or ``ValueError`` is a format error naming ``code``."""
    try:
        yield
    except ValidationError as exc:
        raise UpstreamFormatError(source, f"{code}: {describe(exc)}") from exc
    except ValueError as exc:
        raise UpstreamFormatError(source, f"{code}: {exc}") from exc


def coded(
    elements: Iterable[Element], code_of: Callable[[Element], str | None]
) -> list[tuple[str, Element]]:
    """Each of ``elements`` that names a currency, with its code; the others are not rates."""
    return [
        (code, element)
        for element in elements
        if CODE.fullmatch(code := (code_of(element) or "").strip())
    ]


def rate_list(
    source: str,
    entries: Sequence[tuple[str, _Entry]],
    rate_of: Callable[[str, _Entry], Rate],
    value_of: Callable[[_Entry], str],
    *,
    item: str,
) -> RateList:
    """The rate of every ``(code, entry)``; none usable is a format error naming the first.

    An entry whose ``rate_of`` raises a format error is skipped, with its ``value_of``
    and why, and the others are kept; a code listed twice is skipped both times, as
    which of them is right is unknown.
    """
    counts = Counter(code for code, _ in entries)
    rates: list[Rate] = []
    skipped: list[Skipped] = []
    for code, entry in entries:
        try:
            if counts[code] > 1:
                raise UpstreamFormatError(source, f"{code}: listed {counts[code]} times")
            rates.append(rate_of(code, entry))
        except UpstreamFormatError as exc:
            skipped.append(Skipped(code, value_of(entry), str(exc)))
    return RateList.usable(source, rates, skipped, item=item)


def entry_rates(
    source: str,
    base: str,
    entries: Sequence[tuple[str, Element]],
    date: dt.date,
    fetched_at: dt.datetime,
    *,
    value: re.Pattern[str],
    example: str,
    zero_refused: bool = False,
) -> RateList:
    """``<Value>`` units of ``base`` per ``<Nominal>`` units of each entry's code.

    ``value`` is the pattern of a Value (:data:`DECIMAL_COMMA` or :data:`DECIMAL_POINT`)
    and ``example`` one written in it; every rate is of the document's ``date``.  With
    ``zero_refused``, a Value or Nominal of zero is refused here (``<Value> is zero``)
    rather than by the models' bounds, in their words.
    """
    if not entries:
        raise UpstreamFormatError(source, "the document has no currency entries")

    def rate(code: str, entry: Element) -> Rate:
        with format_errors(source, code):
            return Rate.from_published(
                code=code,
                base=base,
                published=_element_number(entry, "Value", value, example, zero_refused),
                quant=int(_element_number(entry, "Nominal", WHOLE, "1", zero_refused)),
                date=date,
                source=source,
                fetched_at=fetched_at,
            )

    def published(entry: Element) -> str:
        return shown(entry.findtext("Value"))

    return rate_list(source, entries, rate, published, item="entry")


def _element_number(
    entry: Element, tag: str, pattern: re.Pattern[str], example: str, zero_refused: bool
) -> Decimal:
    number = bounded_number(entry.findtext(tag), f"<{tag}>", pattern, example)
    if zero_refused and number == 0:
        raise ValueError(f"<{tag}> is zero")
    return number


def keep_prevailing_date(
    source: str, rates: Sequence[Rate], skipped: Sequence[Skipped]
) -> RateList:
    """The ``rates`` (one at least) of the date most of them carry, the newest of a tie.

    The others are added to ``skipped`` with their dates: where every item carries its
    own date, one item's odd date must not make the others look old (the National Bank
    of Kazakhstan keeps the currencies it no longer quotes, LVL, EEK and TRL, in its
    feed with the date of their last rate).
    """
    counts = Counter(rate.date for rate in rates)
    date = max(counts, key=lambda day: (counts[day], day))
    odd = [
        Skipped(
            rate.code, str(rate.published), f"{source}: {rate.code}: dated {rate.date}, not {date}"
        )
        for rate in rates
        if rate.date != date
    ]
    return RateList([rate for rate in rates if rate.date == date], [*skipped, *odd])
