"""The HTTP service: snapshots of the strip, prepared answers, routes and their OpenAPI.

The only part of ticker that imports ``aiohttp.web``.
"""
