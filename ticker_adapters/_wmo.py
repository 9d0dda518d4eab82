"""Upstream weather conditions translated to WMO 4677 codes, for the adapters that need it.

The target is the WMO code subset Open-Meteo documents (https://open-meteo.com/en/docs,
"WMO Weather interpretation codes"; ``upstream-formats.md`` section 3), which is what
:attr:`ticker.Weather.code` carries.  A condition with no code there maps to ``None``.

Two choices hold for every upstream:

* **Sleet** (rain and snow falling together) has no code in that subset: WMO 4677's own
  68/69 and 83/84 are outside it.  It maps to **rain** of the same intensity, not to
  freezing rain 66/67: freezing rain is a different hazard (rain that glazes on contact),
  and a news site should not announce a hazard the forecaster did not.
* **Thunder** maps to 95: 96/99 say hail, which neither upstream forecasts.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MET_SYMBOLS", "OWM_CONDITIONS"]

# MET Norway weather symbols without their _day/_night/_polartwilight suffix, from the
# legend at https://api.met.no/weatherapi/weathericon/2.0/documentation
# (https://github.com/metno/weathericons, weather/legend.csv).
MET_SYMBOLS: Mapping[str, int] = {
    "clearsky": 0,  # clear sky
    "fair": 1,  # fair: mainly clear
    "partlycloudy": 2,  # partly cloudy
    "cloudy": 3,  # cloudy: overcast
    "fog": 45,  # fog
    "lightrain": 61,  # light rain
    "rain": 63,  # rain
    "heavyrain": 65,  # heavy rain
    "lightrainshowers": 80,  # light rain showers
    "rainshowers": 81,  # rain showers
    "heavyrainshowers": 82,  # heavy rain showers
    "lightsleet": 61,  # light sleet: light rain (see above)
    "sleet": 63,  # sleet: rain
    "heavysleet": 65,  # heavy sleet: heavy rain
    "lightsleetshowers": 80,  # light sleet showers: light rain showers
    "sleetshowers": 81,  # sleet showers: rain showers
    "heavysleetshowers": 82,  # heavy sleet showers: heavy rain showers
    "lightsnow": 71,  # light snow
    "snow": 73,  # snow
    "heavysnow": 75,  # heavy snow
    "lightsnowshowers": 85,  # light snow showers
    "snowshowers": 85,  # snow showers: the subset has only slight (85) and heavy (86)
    "heavysnowshowers": 86,  # heavy snow showers
    "lightrainandthunder": 95,  # light rain and thunder
    "rainandthunder": 95,  # rain and thunder
    "heavyrainandthunder": 95,  # heavy rain and thunder
    "lightrainshowersandthunder": 95,  # light rain showers and thunder
    "rainshowersandthunder": 95,  # rain showers and thunder
    "heavyrainshowersandthunder": 95,  # heavy rain showers and thunder
    "lightsleetandthunder": 95,  # light sleet and thunder
    "sleetandthunder": 95,  # sleet and thunder
    "heavysleetandthunder": 95,  # heavy sleet and thunder
    "lightssleetshowersandthunder": 95,  # light sleet showers and thunder (sic, MET's "ss")
    "lightsleetshowersandthunder": 95,  # the same, in case MET corrects the spelling
    "sleetshowersandthunder": 95,  # sleet showers and thunder
    "heavysleetshowersandthunder": 95,  # heavy sleet showers and thunder
    "lightsnowandthunder": 95,  # light snow and thunder
    "snowandthunder": 95,  # snow and thunder
    "heavysnowandthunder": 95,  # heavy snow and thunder
    "lightssnowshowersandthunder": 95,  # light snow showers and thunder (sic, MET's "ss")
    "lightsnowshowersandthunder": 95,  # the same, in case MET corrects the spelling
    "snowshowersandthunder": 95,  # snow showers and thunder
    "heavysnowshowersandthunder": 95,  # heavy snow showers and thunder
}

# OpenWeatherMap condition ids (``weather[].id``), from
# https://openweathermap.org/weather-conditions
OWM_CONDITIONS: Mapping[int, int | None] = {
    200: 95,  # thunderstorm with light rain
    201: 95,  # thunderstorm with rain
    202: 95,  # thunderstorm with heavy rain
    210: 95,  # light thunderstorm
    211: 95,  # thunderstorm
    212: 95,  # heavy thunderstorm
    221: 95,  # ragged thunderstorm
    230: 95,  # thunderstorm with light drizzle
    231: 95,  # thunderstorm with drizzle
    232: 95,  # thunderstorm with heavy drizzle
    300: 51,  # light intensity drizzle
    301: 53,  # drizzle
    302: 55,  # heavy intensity drizzle
    310: 51,  # light intensity drizzle rain
    311: 53,  # drizzle rain
    312: 55,  # heavy intensity drizzle rain
    313: 81,  # shower rain and drizzle
    314: 82,  # heavy shower rain and drizzle
    321: 80,  # shower drizzle
    500: 61,  # light rain
    501: 63,  # moderate rain
    502: 65,  # heavy intensity rain
    503: 65,  # very heavy rain
    504: 65,  # extreme rain
    511: 66,  # freezing rain, no intensity given: the lighter code
    520: 80,  # light intensity shower rain
    521: 81,  # shower rain
    522: 82,  # heavy intensity shower rain
    531: 81,  # ragged shower rain
    600: 71,  # light snow
    601: 73,  # snow
    602: 75,  # heavy snow
    611: 63,  # sleet: rain (see above)
    612: 80,  # light shower sleet: light rain showers
    613: 81,  # shower sleet: rain showers
    615: 61,  # light rain and snow: light rain
    616: 63,  # rain and snow: rain
    620: 85,  # light shower snow
    621: 85,  # shower snow: the subset has only slight (85) and heavy (86)
    622: 86,  # heavy shower snow
    701: 45,  # mist: thin fog, the nearest condition in the subset
    711: None,  # smoke
    721: None,  # haze
    731: None,  # sand/dust whirls
    741: 45,  # fog
    751: None,  # sand
    761: None,  # dust
    762: None,  # volcanic ash
    771: None,  # squalls
    781: None,  # tornado
    800: 0,  # clear sky
    801: 1,  # few clouds, 11-25 %: mainly clear
    802: 2,  # scattered clouds, 25-50 %: partly cloudy
    803: 3,  # broken clouds, 51-84 %: overcast
    804: 3,  # overcast clouds, 85-100 %
}
