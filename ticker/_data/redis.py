"""The shared cache in Redis, for a fleet of hosts.

Values, the refresh lease and the snapshot stamp live under one key prefix.  A
write of several items is one MULTI/EXEC transaction; the lease is ``SET NX PX``,
renewed and released only by its owner (compare-and-set in a Lua script).  Every
call has a short socket timeout: while Redis is away the service keeps serving the
snapshot each process holds, and redis-py reconnects on the next call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import redis

__all__ = ["RedisCache"]

#: Renew the lease if ``owner`` holds it, take it if nobody does.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
#: Seconds to wait for Redis on any call: short, so that an outage is noticed at once.
SOCKET_TIMEOUT = 1.0


class RedisCache:
    """A :class:`~ticker._cache.CacheBackend` in Redis."""

    def __init__(self, url: str, *, prefix: str = "ticker:") -> None:
        self.prefix = prefix
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=SOCKET_TIMEOUT,
            health_check_interval=30,
        )
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._release = self._redis.register_script(_RELEASE)

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        if not keys:
            return {}
        values = self._redis.mget([self.prefix + key for key in keys])
        return {
            key: value for key, value in zip(keys, values, strict=True) if isinstance(value, bytes)
        }

    def write(self, items: Mapping[str, bytes], delete: Sequence[str] = ()) -> None:
        with self._redis.pipeline(transaction=True) as pipe:
            for key, value in items.items():
                pipe.set(self.prefix + key, value)
            for key in delete:
                pipe.delete(self.prefix + key)
            pipe.execute()

    def acquire(self, name: str, owner: str, ttl: dt.timedelta) -> bool:
        key = f"{self.prefix}lease:{name}"
        return bool(self._acquire(keys=[key], args=[owner, int(ttl.total_seconds() * 1000)]))

    def release(self, name: str, owner: str) -> None:
        self._release(keys=[f"{self.prefix}lease:{name}"], args=[owner])

    def close(self) -> None:
        self._redis.close()
