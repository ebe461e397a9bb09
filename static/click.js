// What a click on a relay link did (issue 22). Pages work without this.
//
// Relay links (/igv/goto, /igv/load, /igv/view) are plain top-level links:
// the relay answers 303 to the user's IGV, IGV answers 204, and a browser
// keeps the page it was on for a 204. So the list stays where it was, and
// nothing on it says that anything happened: this script shows what was
// sent, for a few seconds, without moving the page.
//
// When IGV does not listen, the browser shows its own error page instead (a
// new history entry; no page script can prevent or see it). To explain that
// when the user comes Back, the click is remembered in sessionStorage (per
// tab): a page hidden within HOP_MS of a relay click was left by that click,
// since a 204 never unloads it. Any other navigation started here (a link, a
// form) forgets the click, and a later one is not within HOP_MS, so a click
// that worked is never reported as failed. Coming back (Back, or a reload
// from history) shows the notice once; it never sends again by itself, it
// offers "Send it again". When the relay itself refused the link (its 400
// page, same origin, also runs this script and records why), the notice says
// so instead.
//
// In a cross-site frame (/embed in a portal, Galaxy's centre panel), when a
// click there replaces the top page at once (IGV not listening), Firefox
// (153 ESR) loses what the frame writes to its sessionStorage in pagehide:
// pagehide runs (its localStorage and cookie writes are kept), but after Back
// only the click, written when it happened, is there. So a click is also
// settled while the page stays: once HOP_MS have passed with the page still
// here (a timer, or the page hidden or clicked later), it is forgotten. A
// click still remembered when the page comes back was never settled: the page
// was left within HOP_MS of it, as pagehide would have noted.
//
// Also in a cross-site frame, storage is partitioned by the top site: the
// relay's own error page, a top-level page, records its refusal where the
// frame cannot read it. There, the notice cannot tell a refusal from IGV not
// answering, and says so rather than claim either.
(function () {
  "use strict";
  var SIGN_MS = 4000;
  // Relay round trip plus the refused connection to IGV: well under a second
  // on a LAN, a few on a slow link. A person takes longer to start another
  // navigation some other way (the address bar, a bookmark).
  var HOP_MS = 8000;
  var CLICK = "igv-relay:click";
  var LEFT = "igv-relay:left";
  var REFUSED = "igv-relay:refused";
  var SEND = /\/igv\/(goto|load|view)$/;
  var RELAY = /\/igv\/(goto|load|view|check)$/;

  function read(key) {
    try { return JSON.parse(window.sessionStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function write(key, value) {
    try {
      if (value === null) { window.sessionStorage.removeItem(key); }
      else { window.sessionStorage.setItem(key, JSON.stringify(value)); }
    } catch (e) { /* storage off: no notice, clicks still work */ }
  }
  function here() { return location.href.split("#")[0]; }
  function parse(href) { try { return new URL(href, location.href); } catch (e) { return null; } }

  function group(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  // chr7:140753336-140753436 as IGV's locus box shows it: chr7:140,753,336-140,753,436.
  function forPeople(loci) {
    return loci.split(" ").map(function (locus) {
      var m = /^(.*):(\d+)(?:-(\d+))?$/.exec(locus);
      return m ? m[1] + ":" + group(m[2]) + (m[3] ? "-" + group(m[3]) : "") : locus;
    }).join(" ");
  }
  // What a relay link sends, in a few words: its locus, else its file or command.
  function describe(a, url) {
    var q = url.searchParams;
    if (q.get("locus")) { return forPeople(q.get("locus")); }
    if (q.get("name")) { return q.get("name"); }
    var file = q.get("file") && parse(q.get("file"));
    if (file) { return decodeURIComponent(file.pathname.split("/").pop() || file.host); }
    if (q.get("command")) { return q.get("command") + (q.get("by") ? " by " + q.get("by") : ""); }
    return (a.textContent || "").trim();
  }
  function sameTab(a) {
    var t = (a.getAttribute("target") || "").toLowerCase();
    return t === "" || t === "_self" || t === "_top" || t === "_parent";
  }
  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text) { n.textContent = text; }
    return n;
  }
  function link(href, cls, text, target) {
    var a = node("a", cls, text);
    a.href = href;
    if (target) { a.target = target; }
    return a;
  }

  // The sign: the clicked row (or list item) marked, and a line at the foot
  // of the window; fixed, so nothing on the page moves.
  var sign = null;
  var marked = null;
  var timer = 0;
  function showSent(a, what) {
    if (marked) { marked.classList.remove("igv-sent"); }
    marked = a.closest("tr, li") || a;
    marked.classList.add("igv-sent");
    if (!sign) {
      sign = node("div", "igv-relay-sign");
      sign.setAttribute("role", "status");
      document.body.appendChild(sign);
    }
    sign.textContent = "sent to IGV · " + what;
    sign.classList.remove("igv-relay-sign-top");
    sign.hidden = false;
    // At the foot of the window, unless the row it is about is there.
    var r = marked.getBoundingClientRect(), b = sign.getBoundingClientRect();
    if (r.bottom > b.top && r.top < b.bottom) { sign.classList.add("igv-relay-sign-top"); }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      sign.hidden = true;
      if (marked) { marked.classList.remove("igv-sent"); marked = null; }
    }, SIGN_MS);
  }

  function closeNotice() {
    var old = document.querySelector("aside.igv-notice");
    if (old) { old.parentNode.removeChild(old); }
    var failed = document.querySelector(".igv-failed");
    if (failed) { failed.classList.remove("igv-failed"); }
  }

  // Forgets a click the page outlived by HOP_MS: it did not leave the page.
  var settleTimer = 0;
  function settle() {
    var click = read(CLICK);
    if (click && click.page === here() && Date.now() - click.at >= HOP_MS) { write(CLICK, null); }
  }
  document.addEventListener("visibilitychange", settle);

  document.addEventListener("click", function (e) {
    settle();
    var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || e.defaultPrevented) { return; }
    var plain = e.button === 0 && !(e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) && sameTab(a);
    var url = parse(a.href);
    if (url && SEND.test(url.pathname)) {
      var what = describe(a, url);
      closeNotice();
      showSent(a, what);
      write(CLICK, plain ? {
        href: a.href, what: what, target: a.getAttribute("target") || "", page: here(), at: Date.now()
      } : null);
      window.clearTimeout(settleTimer);
      settleTimer = window.setTimeout(settle, HOP_MS + 100);
    } else if (plain) {
      // Any other navigation started here (the connection test too, whose
      // answer always replaces the page) is not a failed relay click.
      write(CLICK, null);
    }
  });
  document.addEventListener("submit", function () { write(CLICK, null); }, true);

  window.addEventListener("pagehide", function () {
    var click = read(CLICK);
    if (click && click.page === here() && Date.now() - click.at < HOP_MS) { write(LEFT, click); }
    write(CLICK, null);
  });

  // The relay's own error page for a relay link: remember why, for the page
  // the user comes back to.
  if (RELAY.test(location.pathname) && document.querySelector("section.error")) {
    var why = document.querySelector("section.error .message") || document.querySelector("section.error h1");
    write(REFUSED, { href: location.href, message: why ? why.textContent.trim() : document.title });
  }

  function cameBack(persisted) {
    if (persisted) { return true; }
    var nav = window.performance && performance.getEntriesByType ?
      performance.getEntriesByType("navigation")[0] : null;
    return !!nav && nav.type === "back_forward";
  }
  // Where the Navigation API says this page was restored from (a URL), or
  // null for another site or the browser's error page; undefined when it
  // cannot say (no API, or an activation that is not this traversal).
  function cameFrom() {
    var activation = window.navigation && window.navigation.activation;
    if (!activation || activation.navigationType !== "traverse") { return undefined; }
    return activation.from ? activation.from.url : null;
  }

  window.addEventListener("pageshow", function (e) {
    var left = read(LEFT);
    var click = read(CLICK);
    // pagehide's note lost (see the top): the click it would have moved.
    if (!left && click && click.page === here()) {
      left = click;
      write(CLICK, null);
    }
    if (!left || left.page !== here()) { return; }
    write(LEFT, null);
    if (!cameBack(e.persisted)) { return; }
    var from = cameFrom();
    // Back from another page of this site (left some other way within
    // HOP_MS): the click did not replace the page.
    if (from && from !== left.href) { return; }
    var refused = read(REFUSED);
    write(REFUSED, null);
    if (refused && refused.href !== left.href) { refused = null; }
    if (!refused && from === left.href) { refused = { message: "" }; }
    explain(left, refused);
  });

  // Inside a frame of another site, whose storage is not the top page's.
  function framed() {
    try { return window.top !== window.self && window.top.location.origin !== location.origin; }
    catch (e) { return true; }
  }

  function explain(left, refused) {
    closeNotice();
    var url = parse(left.href);
    if (!url) { return; }
    var check = new URL(url.href);
    check.pathname = check.pathname.replace(/[^/]+$/, "check");
    var port = url.searchParams.get("port");
    check.search = port ? "?port=" + encodeURIComponent(port) : "";
    var settings = new URL(url.href);
    settings.pathname = settings.pathname.replace(/igv\/[^/]+$/, "settings");
    settings.search = "";

    var box = node("aside", "igv-notice");
    box.setAttribute("role", "alert");
    var head = node("p");
    if (refused) {
      head.appendChild(node("strong", null, "The relay refused the last link"));
      head.appendChild(document.createTextNode(" (" + left.what + ")" +
        (refused.message ? ": " + refused.message : "") + ". Nothing was sent to IGV."));
      box.appendChild(head);
    } else {
      if (framed()) {
        head.appendChild(node("strong", null, "The last link did not reach IGV"));
        head.appendChild(document.createTextNode(" (" + left.what + "): your browser could not reach " +
          "IGV desktop on this computer and showed its own error page, or the relay refused the link " +
          "and its page said why (inside a frame this page cannot tell which). Check:"));
      } else {
        head.appendChild(node("strong", null, "IGV did not answer the last link"));
        head.appendChild(document.createTextNode(" (" + left.what + "): your browser could not reach " +
          "IGV desktop on this computer and showed its own error page. Check:"));
      }
      box.appendChild(head);
      var list = node("ul");
      list.appendChild(node("li", null, "IGV desktop is running;"));
      var port = node("li", null, "in IGV, View › Preferences › Advanced › Enable port is ticked, with the port on ");
      port.appendChild(link(settings.href, null, "your IGV port settings"));
      port.appendChild(document.createTextNode(";"));
      list.appendChild(port);
      list.appendChild(node("li", null, "no dialog is open in IGV (it ignores links while one is)."));
      box.appendChild(list);
    }
    var actions = node("p", "igv-notice-actions");
    if (!refused) {
      actions.appendChild(link(check.href, "igv-check", "Test the connection", left.target));
      actions.appendChild(document.createTextNode(" · "));
    }
    actions.appendChild(link(left.href, "igv-send", "Send it again", left.target));
    var close = node("button", "igv-notice-close", "Close");
    close.type = "button";
    close.addEventListener("click", closeNotice);
    actions.appendChild(close);
    box.appendChild(actions);
    document.body.appendChild(box);

    var links = document.querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) {
      var row = links[i].href === left.href ? links[i].closest("tr, li") : null;
      if (row && !box.contains(row)) {
        row.classList.add("igv-failed");
        // The notice sits at the foot of the window; where that would hide
        // the row it is about, it goes to the top instead.
        var r = row.getBoundingClientRect(), b = box.getBoundingClientRect();
        if (r.bottom > b.top && r.top < b.bottom) { box.classList.add("igv-notice-top"); }
        break;
      }
    }
  }
})();
