"""What a reader sees: the strip built from cached values, in every language and markup.

Pure: functions of settings, values and a moment, with no cache, clock or network.
The only part of ticker that writes HTML or SVG.
"""
