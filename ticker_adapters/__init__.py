"""Upstream adapters shipped with ticker, one module per upstream.

Each module opens with the upstream, its documentation and terms, then its
constants, then one class implementing :mod:`ticker.sources`' contract.  They are
registered by name in ``pyproject.toml`` and never imported by the core.
"""
