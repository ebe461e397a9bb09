// "View here": the igv.js panel of a link page (templates/viewer.html). Its
// settings are the panel's data- attributes (no inline script under the CSP).
// igv.js is loaded only when the panel is first opened; whether it is open is
// remembered in localStorage. Row selection (pages.js: a click on a row, j/k)
// opens the panel (unless it was closed on purpose) and moves it; "View in IGV" links keep going to IGV desktop.
(function () {
  "use strict";
  var panel = document.getElementById("igv-viewer");
  if (!panel) { return; }
  var KEY = "igv-relay.viewer";
  var d = panel.dataset;
  var host = panel.querySelector(".viewer-igv");
  var statusLine = panel.querySelector(".viewer-status");
  var browser = null;
  var pending = null;
  var started = false;

  function status(text) { statusLine.textContent = text; }

  function remember(open) {
    try { window.localStorage.setItem(KEY, open ? "open" : "closed"); } catch (e) { /* storage off */ }
  }

  function closedOnPurpose() {
    try { return window.localStorage.getItem(KEY) === "closed"; } catch (e) { return false; }
  }

  function remembered() {
    try { return window.localStorage.getItem(KEY) === "open"; } catch (e) { return false; }
  }

  function options() {
    var o = {};
    if (d.genome) {
      o.genome = d.genome;
    } else {
      o.reference = { id: "genome", fastaURL: d.fasta, indexURL: d.fastaIndex };
      if (d.cytoband) { o.reference.cytobandURL = d.cytoband; }
    }
    if (pending || d.viewLocus) { o.locus = pending || d.viewLocus; }
    if (d.trackUrl) {
      var track = { url: d.trackUrl, name: d.trackName };
      if (d.trackFormat) { track.format = d.trackFormat; }
      if (d.trackIndex) { track.indexURL = d.trackIndex; } else { track.indexed = false; }
      o.tracks = [track];
    }
    // Reads paired with the file (?reads=, or paired by sample): stacked
    // under it, one track per file, named by sample.
    Array.prototype.forEach.call(panel.querySelectorAll(".viewer-reads"), function (r) {
      var reads = { url: r.dataset.url, name: r.dataset.name, indexURL: r.dataset.index };
      if (r.dataset.format) { reads.format = r.dataset.format; }
      o.tracks = (o.tracks || []).concat([reads]);
    });
    return o;
  }

  function create() {
    if (!window.igv) { status("igv.js did not load."); return; }
    status("Starting igv.js…");
    window.igv.createBrowser(host, options()).then(function (b) {
      browser = b;
      // Tests and curious users read the view back through igv.js's API.
      window.igvRelayViewer = b;
      panel.setAttribute("data-ready", "1");
      status("");
      if (pending) { go(pending); }
    }).catch(function (e) {
      status(failure(e && e.message ? e.message : String(e)));
    });
  }

  // igv.js describes its hosted genomes (data-genome) in a list on
  // igv.org; unreachable, it says only "Unknown genome id: hg38", which
  // reads as if the genome did not exist. Say which host could not be
  // reached instead (issue 24).
  var GENOME_LIST = "https://igv.org/genomes/genomes3.json";

  function failure(message) {
    if (d.genome && /unknown genome id/i.test(message)) {
      return "igv.js could not reach " + new URL(GENOME_LIST).host + " (" + GENOME_LIST +
        "), where its hosted genome " + d.genome + " is described: this browser may be offline or the site blocked. " +
        "An administrator can serve the genome from this service instead (genomes." + d.genome +
        ".igvjs: fasta and index URLs; see the README, \"View here\").";
    }
    return "igv.js could not show this file: " + message;
  }

  function start() {
    if (started) { return; }
    started = true;
    status("Loading igv.js…");
    if (window.igv) { create(); return; }
    var script = document.createElement("script");
    script.src = d.script;
    script.onload = create;
    script.onerror = function () { status("igv.js could not be loaded from " + d.script + "."); };
    document.head.appendChild(script);
  }

  function go(locus) {
    pending = locus;
    if (!browser) { return; }
    browser.search(locus).then(function () {
      if (pending === locus) { pending = null; }
    }).catch(function (e) {
      status("igv.js cannot show " + locus + ": " + (e && e.message ? e.message : e));
    });
  }

  panel.addEventListener("toggle", function () {
    remember(panel.open);
    if (panel.open) { start(); }
  });
  document.addEventListener("igv-relay:row", function (e) {
    if (!e.detail || !e.detail.locus) { return; }
    // A row picked opens the panel, unless the user closed it on purpose.
    if (!panel.open && !closedOnPurpose()) {
      pending = e.detail.locus;
      panel.open = true;
    }
    go(e.detail.locus);
  });
  if (remembered()) { panel.open = true; }
})();
