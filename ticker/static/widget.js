/* ticker widget: fills <div data-ticker data-lang="ru"></div> placeholders with the strip.
   Embed: <script src="https://ticker.example/widget.js" defer></script>
   No dependencies, no eval, no inline style: it works under a strict Content-Security-Policy
   that allows this origin in script-src, style-src and connect-src. Every value is set with
   textContent; if the API cannot be reached, whatever the placeholder holds stays. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  // The service's base: where this script was loaded from, path prefix included
  // (a site may proxy the service under /ticker/).
  var base = new URL(".", script.src).href;
  var PRESET = "__TICKER_PRESET__";
  var THEME = "__TICKER_THEME__";
  var OVERFLOW = "__TICKER_OVERFLOW__";  // widget.overflow: what widget.css does on a phone
  var ARROWS = { up: "\u25B2", down: "\u25BC", flat: "=" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function stylesheet() {
    if (document.querySelector("link[data-ticker-css]")) { return; }
    var link = el("link");
    link.rel = "stylesheet";
    link.href = base + "widget.css";
    link.setAttribute("data-ticker-css", "");
    document.head.appendChild(link);
  }

  function mark(item, stale) {
    if (!item.stale) { return null; }
    var abbr = el("abbr", "ticker-stale-mark", "*");
    abbr.title = stale + (item.reason ? ": " + item.reason : "");
    return abbr;
  }

  // A right-to-left strip's texts come isolated (U+2066 ... U+2069) for plain text;
  // here dir="ltr" isolates them, as the server's markup does.
  function bare(text) {
    return String(text).replace(/^\u2066([\s\S]*)\u2069$/, "$1");
  }

  function value(text) {
    var span = el("span", "ticker-value", bare(text));
    span.dir = "ltr";
    return span;
  }

  function state(item, base) {
    return base + (item.missing ? " ticker-missing" : "") + (item.stale ? " ticker-stale" : "");
  }

  function rate(item, labels) {
    var li = el("li", state(item, "ticker-rate") + (item.direction ? " ticker-" + item.direction : ""));
    li.setAttribute("data-code", item.code);
    li.title = item.name || item.code;
    var label = el("span", "ticker-label", item.label);
    label.dir = "ltr";
    li.append(label, " ", value(item.text));
    if (PRESET === "full" && item.change_text && item.direction) {
      var change = el("span", "ticker-change");
      change.dir = "ltr";
      var arrow = el("span", "ticker-arrow", ARROWS[item.direction] || "");
      arrow.setAttribute("aria-hidden", "true");
      change.append(arrow, bare(item.change_text));
      li.append(" ", change);
    }
    var marker = mark(item, labels.stale);
    if (marker) { li.append(marker); }
    return li;
  }

  function city(item, labels) {
    var li = el("li", state(item, "ticker-city"));
    li.setAttribute("data-city", item.city);
    li.title = item.condition || (item.missing ? labels.missing || "" : "");
    li.append(el("span", "ticker-name", item.name), " ", value(item.text));
    var marker = mark(item, labels.stale);
    if (marker) { li.append(marker); }
    return li;
  }

  function list(className, label, items, render, labels) {
    var ul = el("ul", className);
    ul.setAttribute("aria-label", label);
    items.forEach(function (item, index) {
      if (index) { ul.append(" "); }
      ul.append(render(item, labels));
    });
    return ul;
  }

  function credits(sources) {
    var span = el("span", "ticker-sources");
    sources.forEach(function (credit) {
      if (!/^https?:\/\//.test(credit.url)) { return; }
      var link = el("a", "ticker-source", "\u24D8");
      link.href = credit.url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.title = credit.text;
      link.setAttribute("aria-label", credit.text);
      span.append(link);
    });
    return span;
  }

  function render(strip, theme) {
    var labels = strip.labels || {};
    var root = el("div", "ticker");
    root.lang = strip.lang;
    root.dir = strip.dir;
    root.setAttribute("data-theme", theme || THEME);
    root.setAttribute("data-overflow", OVERFLOW);
    root.setAttribute("data-generated", strip.generated_at);
    var sep = el("span", "ticker-sep", " \u00B7 ");
    sep.setAttribute("aria-hidden", "true");
    root.append(
      list("ticker-rates", labels.rates, strip.rates, rate, labels), sep,
      list("ticker-weather", labels.weather, strip.weather, city, labels),
      credits(strip.sources || [])
    );
    return root;
  }

  function fill(slot) {
    var lang = slot.getAttribute("data-lang");
    var url = base + "v1/strip" + (lang ? "?lang=" + encodeURIComponent(lang) : "");
    fetch(url, { credentials: "omit", mode: "cors" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (strip) {
        slot.replaceChildren(render(strip, slot.getAttribute("data-theme")));
        slot.setAttribute("data-ticker-ready", "");
      })
      .catch(function () {
        slot.setAttribute("data-ticker-offline", "");  // the server-rendered text stays
      });
  }

  stylesheet();
  Array.prototype.forEach.call(document.querySelectorAll("[data-ticker]"), fill);
})();
