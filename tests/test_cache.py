"""The shared disk cache: exact round trips, sharing between processes, status records."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest

from ticker import DiskCache, Store

from .conftest import NOW, REFERENCE_RATES, rate, weather


def test_values_round_trip_exactly(store: Store):
    """Decimals and aware times come back exactly as stored."""
    uzs = rate("UZS", "3.72", quant=100)
    store.put_rates([uzs, *REFERENCE_RATES])
    store.put_weather([weather()])
    assert store.rates(["UZS"])["UZS"].rate == Decimal("0.0372")
    assert store.rates(["USD"])["USD"] == REFERENCE_RATES[0]
    assert store.weather(["astana"])["astana"].fetched_at == NOW


def test_absent_items_are_absent(store: Store):
    """Asking for what was never stored gives nothing, not an error."""
    assert store.rates(["USD"]) == {}
    assert store.weather(["nowhere"]) == {}


@pytest.mark.slow
def test_another_process_sees_what_was_written(tmp_path):
    """A value written by one process is read by another on the same directory."""
    writer = Store(DiskCache(tmp_path / "shared"))
    writer.put_rates(REFERENCE_RATES)
    writer.close()
    script = (
        "import sys; from ticker import DiskCache, Store; "
        "s = Store(DiskCache(__import__('pathlib').Path(sys.argv[1]))); "
        "print(s.rates(['USD'])['USD'].rate)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "shared")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "445.99"


def test_unreadable_entry_is_treated_as_absent(store: Store):
    """An entry another version wrote in another shape is skipped, not fatal."""
    store.put_rates(REFERENCE_RATES)
    store.backend.write({"rate:EUR": b'{"code": "EUR"}'})
    assert set(store.rates(["USD", "EUR"])) == {"USD"}


def test_status_keeps_the_last_success_through_failures(store: Store):
    """A failure after a success records the error and keeps when it last worked."""
    later = NOW + dt.timedelta(hours=1)
    store.record("rates", "nbk", at=NOW)
    store.record("rates", "nbk", at=later, error="nbk: HTTP 502")
    status = store.status("rates", ["nbk"])["nbk"]
    assert (status.last_attempt, status.last_success, status.last_error) == (
        later,
        NOW,
        "nbk: HTTP 502",
    )


def test_accepting_a_rate_releases_what_was_held_for_it(store: Store):
    """A held jump is stored beside the accepted rate and removed once the code is accepted."""
    store.put_rates(REFERENCE_RATES)
    jump = rate("USD", "600.00")
    store.put_rates([], held=[jump])
    assert store.held_rates(["USD"]) == {"USD": jump}
    assert store.rates(["USD"])["USD"] == REFERENCE_RATES[0]
    store.put_rates([jump])
    assert store.held_rates(["USD"]) == {}


def test_status_counts_failures_in_a_row_and_rejections(store: Store):
    """Failures in a row reset on success; rejections accumulate."""
    store.record("rates", "nbk", at=NOW, error="x")
    store.count_rejected("rates", "nbk", at=NOW)
    store.count_rejected("rates", "nbk", at=NOW)
    status = store.record("rates", "nbk", at=NOW, error="y")
    assert (status.failures, status.rejected) == (2, 2)
    assert store.record("rates", "nbk", at=NOW).failures == 0
