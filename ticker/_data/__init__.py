"""The data layer: fetch, guard and store what upstreams publish, and keep it.

Upstream bytes reach it through the adapters (:mod:`ticker.sources`); it writes
the shared cache (disk or Redis), the history and the audit log, and decides which
process of a fleet refreshes.  It knows nothing of how the strip looks or is
served.
"""
