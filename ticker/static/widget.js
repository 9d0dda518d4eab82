/* ticker widget: the <ticker-strip> custom element, and <div data-ticker> placeholders.
   Embed as a classic script:  <script src="https://ticker.example/widget.js" defer></script>
   or as an ES module:         <script type="module" src="https://ticker.example/widget.mjs"></script>
                               import { TickerStrip } from "https://ticker.example/widget.mjs";
   Then:  <ticker-strip lang="ru" theme="auto"></ticker-strip>  (or the old placeholder
   <div data-ticker data-lang="ru"></div>, filled once).
   One source, two forms: the service serves this file as /widget.js as it is, and as
   /widget.mjs with the two marked lines (prologue, epilogue) swapped for a module's,
   which pass the module's own URL instead of the script element's and export the class.
   No dependencies, no eval, no inline style: it works under a strict Content-Security-Policy
   that allows this origin in script-src, style-src and connect-src. Every value is set with
   textContent; if the API cannot be reached, whatever the element or placeholder shows stays. */
(function (scriptUrl) {  // ticker:prologue
  "use strict";
  var PRESET = "__TICKER_PRESET__";
  var THEME = "__TICKER_THEME__";
  var TOMORROW = "__TICKER_TOMORROW__";  // widget.tomorrow (with weather.forecast_days: 2)
  var OVERFLOW = "__TICKER_OVERFLOW__";  // widget.overflow: what widget.css does on a phone
  var ARROWS = { up: "\u25B2", down: "\u25BC", flat: "=" };
  var TAG = "ticker-strip";
  var THEMES = ["auto", "light", "dark"];
  // What comes from the API or an attribute is bounded here, where it enters.
  var MIN_REFRESH = 10;          // seconds: a max-age of 0 must not become a busy loop
  var MAX_REFRESH = 86400;       // seconds: a strip is never left for more than a day
  var DEFAULT_REFRESH = 300;     // seconds, when an answer says no max-age
  var MAX_BACKOFF = 600;         // seconds between retries once the API keeps failing
  var MAX_BODY = 1048576;        // characters of a /v1/strip answer
  var MAX_ITEMS = 100;           // rates, cities or credits shown
  var MAX_TEXT = 200;            // characters of any one text
  var LANG_TAG = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}$/;

  if (window.customElements && window.customElements.get(TAG)) {
    // The other form (or this one) ran already: one definition, one filling.
    return window.customElements.get(TAG);
  }
  // The service's base: where this script was loaded from, path prefix included
  // (a site may proxy the service under /ticker/).
  var scriptBase = scriptUrl ? new URL(".", scriptUrl).href : null;

  function text(value) {
    return value === undefined || value === null ? "" : String(value).slice(0, MAX_TEXT);
  }

  function items(list) {
    return Array.isArray(list) ? list.slice(0, MAX_ITEMS) : [];
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = text(content); }
    return node;
  }

  // The page's own link makes a placeholder or an element as high as the strip before
  // anything loads; a page that did not link widget.css gets it here.
  function pageStylesheet(base) {
    var href = base + "widget.css";
    var links = document.querySelectorAll("link[rel~='stylesheet']");
    for (var i = 0; i < links.length; i++) {
      if (links[i].hasAttribute("data-ticker-css") || links[i].href === href) { return; }
    }
    var link = el("link");
    link.rel = "stylesheet";
    link.href = href;
    link.setAttribute("data-ticker-css", "");
    document.head.appendChild(link);
  }

  function mark(item, stale) {
    if (!item.stale) { return null; }
    var abbr = el("abbr", "ticker-stale-mark", "*");
    abbr.title = text(stale) + (item.reason ? ": " + text(item.reason) : "");
    return abbr;
  }

  // A right-to-left strip's texts come isolated (U+2066 ... U+2069) for plain text;
  // here dir="ltr" isolates them, as the server's markup does.
  function bare(value) {
    return text(value).replace(/^\u2066([\s\S]*)\u2069$/, "$1");
  }

  function value(content) {
    var span = el("span", "ticker-value", bare(content));
    span.dir = "ltr";
    return span;
  }

  function state(item, base) {
    return base + (item.missing ? " ticker-missing" : "") + (item.stale ? " ticker-stale" : "");
  }

  function direction(item) {
    return Object.prototype.hasOwnProperty.call(ARROWS, item.direction) ? item.direction : null;
  }

  function rate(item, labels) {
    var moved = direction(item);
    var li = el("li", state(item, "ticker-rate") + (moved ? " ticker-" + moved : ""));
    li.setAttribute("data-code", text(item.code));
    li.title = text(item.name || item.code);
    var label = el("span", "ticker-label", item.label);
    label.dir = "ltr";
    li.append(label, " ", value(item.text));
    if (PRESET === "full" && item.change_text && moved) {
      var change = el("span", "ticker-change");
      change.dir = "ltr";
      var arrow = el("span", "ticker-arrow", ARROWS[moved]);
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
    li.setAttribute("data-city", text(item.city));
    li.title = text(item.condition || (item.missing ? labels.missing : ""));
    li.append(el("span", "ticker-name", item.name), " ", value(item.text));
    var marker = mark(item, labels.stale);
    if (marker) { li.append(marker); }
    var next = item.tomorrow;
    if (TOMORROW === "true" && next && typeof next === "object" && next.text) {
      // widget.tomorrow: "завтра -5-2℃", as the server's fragment writes it.
      var later = el("span", "ticker-tomorrow", text(labels.tomorrow || "") + " ");
      later.title = text(next.condition || "");
      later.append(value(next.text));
      li.append(" ", later);
    }
    return li;
  }

  function list(className, label, entries, render, labels) {
    var ul = el("ul", className);
    ul.setAttribute("aria-label", text(label));
    var shown = 0;
    items(entries).forEach(function (item) {
      if (!item || typeof item !== "object") { return; }
      var li;
      try {
        li = render(item, labels);
      } catch (error) {
        return;  // one bad item costs that item, never the strip
      }
      if (shown++) { ul.append(" "); }
      ul.append(li);
    });
    return ul;
  }

  function credits(sources) {
    var span = el("span", "ticker-sources");
    items(sources).forEach(function (credit) {
      if (!credit || typeof credit.url !== "string" || !/^https?:\/\//.test(credit.url)) { return; }
      var link = el("a", "ticker-source", "\u24D8");
      link.href = credit.url.slice(0, 2048);
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.title = text(credit.text);
      link.setAttribute("aria-label", text(credit.text));
      span.append(link);
    });
    return span;
  }

  function render(strip, theme) {
    var labels = strip.labels && typeof strip.labels === "object" ? strip.labels : {};
    var root = el("div", "ticker");
    root.lang = LANG_TAG.test(strip.lang) ? strip.lang : "";
    root.dir = strip.dir === "rtl" ? "rtl" : "ltr";
    root.setAttribute("data-theme", THEMES.indexOf(theme) >= 0 ? theme : THEME);
    root.setAttribute("data-overflow", OVERFLOW);
    root.setAttribute("data-generated", text(strip.generated_at));
    var sep = el("span", "ticker-sep", " \u00B7 ");
    sep.setAttribute("aria-hidden", "true");
    root.append(
      list("ticker-rates", labels.rates, strip.rates, rate, labels), sep,
      list("ticker-weather", labels.weather, strip.weather, city, labels),
      credits(strip.sources)
    );
    return root;
  }

  // The refresh interval an answer asks for: its Cache-Control max-age, bounded.
  function maxAge(cacheControl) {
    var found = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,12})"?\s*(?:,|$)/i.exec(cacheControl || "");
    var seconds = found ? Number(found[1]) : DEFAULT_REFRESH;
    return Math.min(Math.max(seconds, MIN_REFRESH), MAX_REFRESH);
  }

  // The wait before the next try after ``failures`` failures in a row: 10 s, doubling,
  // at most MAX_BACKOFF, with jitter so that a page's readers do not retry in step.
  function backoff(failures) {
    var seconds = Math.min(MIN_REFRESH * Math.pow(2, Math.min(failures, 16)), MAX_BACKOFF);
    return seconds * (1 + Math.random() / 4);
  }

  function fetchStrip(base, lang, options) {
    var url = base + "v1/strip" + (lang ? "?lang=" + encodeURIComponent(lang) : "");
    return fetch(url, Object.assign({ credentials: "omit", mode: "cors" }, options))
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        var seconds = maxAge(response.headers.get("Cache-Control"));
        return response.text().then(function (body) {
          if (body.length > MAX_BODY) { throw new Error("answer too large"); }
          var strip = JSON.parse(body);
          if (!strip || typeof strip !== "object") { throw new Error("not a strip"); }
          return { strip: strip, maxAge: seconds };
        });
      });
  }

  function fill(slot) {
    fetchStrip(scriptBase, slot.getAttribute("data-lang"), {})
      .then(function (answer) {
        slot.replaceChildren(render(answer.strip, slot.getAttribute("data-theme")));
        slot.setAttribute("data-ticker-ready", "");
      })
      .catch(function () {
        slot.setAttribute("data-ticker-offline", "");  // the server-rendered text stays
      });
  }

  // The service named by a base attribute: an absolute http(s) URL of a folder.
  function baseOf(attribute) {
    if (attribute === null) { return scriptBase; }
    var url;
    try {
      url = new URL(attribute.slice(0, 2048), document.baseURI);
    } catch (error) {
      return null;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") { return null; }
    url.search = "";
    url.hash = "";
    if (!/\/$/.test(url.pathname)) { url.pathname += "/"; }
    return url.href;
  }

  if (!window.customElements) {
    if (scriptBase) { pageStylesheet(scriptBase); }
    Array.prototype.forEach.call(document.querySelectorAll("[data-ticker]"), fill);
    return undefined;
  }

  /* <ticker-strip lang theme base>: the strip in a shadow root of its own, styled by the
     service's widget.css linked inside it.  Until its first answer it shows its own content
     through a <slot> (a server-rendered fragment, say), then its rendering of the same
     height; it asks again at each answer's max-age and, after an error, with backoff. */
  class TickerStrip extends HTMLElement {
    static get observedAttributes() { return ["lang", "theme", "base"]; }

    constructor() {
      super();
      this._started = false;
      this._strip = null;
      this._timer = 0;
      this._failures = 0;
      this._generation = 0;
      this._abort = null;
      this._link = null;
      this._css = null;
      this._shown = null;
      this._slot = document.createElement("slot");
      this.attachShadow({ mode: "open" }).append(this._slot);
    }

    connectedCallback() {
      this._started = true;
      this._reload();
    }

    disconnectedCallback() {
      this._started = false;
      this._cancel();
    }

    attributeChangedCallback(name, before, after) {
      if (!this._started || before === after) { return; }
      if (name === "theme") {
        this._show();
      } else {
        this._reload();
      }
    }

    _base() { return baseOf(this.getAttribute("base")); }

    _lang() {
      var lang = (this.getAttribute("lang") || "").trim();
      return LANG_TAG.test(lang) ? lang : "";  // else the service negotiates
    }

    _theme() {
      var theme = this.getAttribute("theme");
      return THEMES.indexOf(theme) >= 0 ? theme : THEME;
    }

    // The shadow root's stylesheet, loaded (or failed) before anything is shown with it;
    // a new base keeps the old sheet until the new one is in.
    _stylesheet(base) {
      var href = base + "widget.css";
      if (this._link && this._link.href === href) { return this._css; }
      var link = el("link");
      link.rel = "stylesheet";
      link.href = href;
      var old = this._link;
      this._css = new Promise(function (done) {
        link.addEventListener("load", done);
        link.addEventListener("error", done);
      }).then(function () {
        if (old) { old.remove(); }
      });
      this._link = link;
      this.shadowRoot.prepend(link);
      return this._css;
    }

    _cancel() {
      clearTimeout(this._timer);
      this._timer = 0;
      if (this._abort) { this._abort.abort(); }
      this._abort = null;
      this._generation += 1;
    }

    _reload() {
      this._cancel();
      this._failures = 0;
      this._refresh();
    }

    _schedule(seconds) {
      clearTimeout(this._timer);
      if (this._started) { this._timer = setTimeout(this._refresh.bind(this), seconds * 1000); }
    }

    _refresh() {
      var base = this._base();
      if (!base) { return; }  // nowhere to ask: what the element holds stays
      pageStylesheet(base);
      var css = this._stylesheet(base);
      var generation = ++this._generation;
      var abort = this._abort = new AbortController();
      var self = this;
      // no-cache: revalidate (If-None-Match, a 304) rather than take a copy that is
      // stale-while-revalidate, which would show the old values for one more period.
      fetchStrip(base, this._lang(), { cache: "no-cache", signal: abort.signal })
        .then(function (answer) {
          return css.then(function () {
            if (generation !== self._generation) { return; }
            self._strip = answer.strip;
            self._show();
            self._failures = 0;
            // A little after max-age, so that the service's refresh is in.
            self._schedule(answer.maxAge * (1 + Math.random() / 20));
          });
        })
        .catch(function () {
          if (generation !== self._generation) { return; }  // superseded: its successor decides
          self.setAttribute("data-ticker-offline", "");
          self._schedule(backoff(self._failures++));
        });
    }

    // Build the whole strip first, then swap it in: a strip that cannot be built
    // leaves what is shown.
    _show() {
      if (!this._strip) { return; }
      var strip = render(this._strip, this._theme());
      strip.setAttribute("part", "strip");
      (this._shown || this._slot).replaceWith(strip);
      this._shown = strip;
      this.removeAttribute("data-ticker-offline");
      this.setAttribute("data-ticker-ready", "");
    }
  }

  window.customElements.define(TAG, TickerStrip);
  if (scriptBase) {
    pageStylesheet(scriptBase);
    Array.prototype.forEach.call(document.querySelectorAll("[data-ticker]"), fill);
  }
  return TickerStrip;
})(document.currentScript ? document.currentScript.src : "");  // ticker:epilogue
