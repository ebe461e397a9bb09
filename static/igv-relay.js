/*! igv-relay embed kit: turns loci on any page into "View in IGV" links.
 *
 * Add one tag to a page (anywhere; `defer` is fine):
 *   <script src="https://RELAY/static/igv-relay.js" defer></script>
 *
 *   <span data-igv-locus="chr1:100-200" data-igv-genome="hg38">BRAF</span>
 *       -> its content becomes a link that opens chr1:100-200 in IGV
 *   <div data-igv-autolink data-igv-genome="hg38"> ... chr1:1,000-2,000 ... chrX:5000 ... </div>
 *       -> loci written in its text become links
 *   data-igv-locus also takes what people paste (issue 18): a locus followed
 *   by a label ("chr7:140,753,336-140,753,436 BRAF V600E"), columns
 *   "chr start end [label]" (tabs or spaces; 0-based starts like BED unless
 *   data-igv-coords="1"), and, with a genome, one gene name ("KRAS"), which the
 *   relay resolves through the genome's gene annotation (or refuses; IGV never
 *   sees a name).
 *
 * Options on the script tag: data-igv-genome (default genome for the page),
 * data-igv-relay (the relay's base URL; default: where this script came from),
 * data-igv-target (link target; default "_top": the relay answers with a
 * redirect to IGV, IGV with 204, and the browser keeps the page for a 204, so
 * the page stays where it was; "_top" keeps the hop a top-level navigation
 * also when the page is framed, which Local Network Access would block
 * inside a frame). A clicked link gets the class "igv-relay-sent" for a few
 * seconds, for a page's own style to show.
 * Content added later: call window.igvRelay.scan(element).
 * A "Test connection to IGV" link: window.igvRelay.checkUrl, or any element
 * with data-igv-check (it becomes a link to the relay's /igv/check).
 *
 * No dependencies, no network requests: links go to the relay, which checks
 * every locus again before anything reaches IGV.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var base = (script && script.getAttribute("data-igv-relay")) ||
    (script && script.src ? new URL("..", script.src).href : null);
  if (!base) { return; }
  if (base.charAt(base.length - 1) !== "/") { base += "/"; }
  var pageGenome = (script && script.getAttribute("data-igv-genome")) || "";
  var target = (script && script.getAttribute("data-igv-target")) || "_top";

  // The relay's locus grammar (src/domain/locus.rs): CHR, CHR:POS or
  // CHR:START-END, numbers with optional thousands commas.
  var NUM = "(?:\\d{1,3}(?:,\\d{3})+|\\d+)";
  var NAME = "[A-Za-z0-9_][A-Za-z0-9_.|*+-]*";
  var SEQUENCE_NAME = /^(?:[Cc][Hh][Rr].*|\d+|X|Y|M|MT|W|Z|.*[_.].*)$/;
  var LOCUS = new RegExp("^" + NAME + "(?::" + NUM + "(?:-" + NUM + ")?)?$");
  // In running text only CHR:POS and CHR:START-END count, the name must not
  // continue a word, URL or e-mail address, and a bare number before the colon
  // needs a position of 3+ digits, so times such as 10:30 stay text.
  var IN_TEXT = new RegExp(
    "(?<![\\w./:@#-])([A-Za-z0-9_][A-Za-z0-9_.]*):(" + NUM + ")(?:-(" + NUM + "))?(?![\\w:])", "g");

  function plain(n) { return Number(n.replace(/,/g, "")); }

  // A gene, transcript or variant name as the relay accepts one
  // (src/domain/genes.rs check_name), without ':' (that is a locus here).
  var GENE = /^[A-Za-z0-9_.()[\]+*\/|'@-]{1,100}$/;
  var COLUMNS = new RegExp("^(" + NAME + ")[\\t ]+(" + NUM + ")[\\t ]+(" + NUM + ")(?:[\\t ].*)?$");

  // What people paste, as the relay's locus parameter: loci (a label after
  // the first one is dropped), "chr start end" columns, or one gene name when
  // there is a genome to look it up in.
  function pastedLoci(text, genome, coords) {
    text = text.trim();
    // Columns first: "chr7 140753336 140753436" is not three sequence names.
    var m = COLUMNS.exec(text);
    if (m) {
      var start = plain(m[2]) + (coords === "1" ? 0 : 1);
      var end = plain(m[3]);
      return start >= 1 && end >= start ? m[1] + ":" + start + "-" + end : null;
    }
    var loci = validLoci(text);
    if (loci) { return loci; }
    var first = text.split(/[\t ]+/)[0];
    if (first.indexOf(":") > 0) { return validLoci(first); }
    return genome && GENE.test(text) ? text : null;
  }

  function validLoci(text) {
    var parts = text.trim().split(/ +/);
    if (!parts[0]) { return null; }
    for (var i = 0; i < parts.length; i++) {
      if (!LOCUS.test(parts[i])) { return null; }
      // A bare word is a gene name to IGV, which blocks on ones it cannot
      // find; like the relay, only pass words that look like sequence names.
      if (parts[i].indexOf(":") < 0 && !SEQUENCE_NAME.test(parts[i])) { return null; }
      var m = /:([\d,]+)(?:-([\d,]+))?$/.exec(parts[i]);
      if (m && (plain(m[1]) < 1 || (m[2] && plain(m[2]) < plain(m[1])))) { return null; }
    }
    return parts.map(function (p) { return p.replace(/,/g, ""); }).join(" ");
  }

  function genomeFor(el) {
    var g = el.closest ? el.closest("[data-igv-genome]") : null;
    return (g && g.getAttribute("data-igv-genome")) || pageGenome;
  }

  function relayUrl(loci, genome) {
    var url = new URL("igv/goto", base);
    url.searchParams.set("locus", loci);
    if (genome) { url.searchParams.set("genome", genome); }
    return url.href;
  }

  function makeLink(loci, genome) {
    var a = document.createElement("a");
    a.href = relayUrl(loci, genome);
    a.className = "igv-relay-link";
    a.target = target;
    a.title = "View " + loci + " in IGV";
    a.setAttribute("data-igv-linked", "");
    return a;
  }

  function linkElement(el) {
    if (el.hasAttribute("data-igv-linked")) { return; }
    var genome = genomeFor(el);
    var holder = el.closest ? el.closest("[data-igv-coords]") : null;
    var coords = holder ? holder.getAttribute("data-igv-coords") : "0";
    var loci = pastedLoci(el.getAttribute("data-igv-locus") || "", genome, coords);
    el.setAttribute("data-igv-linked", "");
    if (!loci) {
      el.classList.add("igv-relay-invalid");
      el.title = "Not a locus IGV can show: " + el.getAttribute("data-igv-locus");
      return;
    }
    if (el.tagName === "A") {
      var a = makeLink(loci, genome);
      el.href = a.href;
      el.target = a.target;
      el.classList.add("igv-relay-link");
      if (!el.title) { el.title = a.title; }
      return;
    }
    var link = makeLink(loci, genome);
    if (!el.firstChild) { link.textContent = loci; }
    while (el.firstChild) { link.appendChild(el.firstChild); }
    el.appendChild(link);
  }

  var SKIP = { A: 1, SCRIPT: 1, STYLE: 1, TEXTAREA: 1, INPUT: 1, SELECT: 1, OPTION: 1, BUTTON: 1, NOSCRIPT: 1 };

  function autolinkText(node, genome) {
    var text = node.nodeValue;
    var out = null;
    var last = 0;
    var m;
    IN_TEXT.lastIndex = 0;
    while ((m = IN_TEXT.exec(text)) !== null) {
      if (/^\d+$/.test(m[1]) && m[2].replace(/,/g, "").length < 3) { continue; }
      var loci = validLoci(m[0]);
      if (!loci) { continue; }
      out = out || document.createDocumentFragment();
      out.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = makeLink(loci, genome);
      a.textContent = m[0];
      out.appendChild(a);
      last = m.index + m[0].length;
    }
    if (!out) { return; }
    out.appendChild(document.createTextNode(text.slice(last)));
    node.parentNode.replaceChild(out, node);
  }

  function autolink(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) {
        for (var p = n.parentNode; p && p !== root.parentNode; p = p.parentNode) {
          if (SKIP[p.tagName] || (p.hasAttribute && p.hasAttribute("data-igv-locus"))) {
            return NodeFilter.FILTER_REJECT;
          }
        }
        return NodeFilter.FILTER_ACCEPT;
      }
    });
    var nodes = [];
    while (walker.nextNode()) { nodes.push(walker.currentNode); }
    nodes.forEach(function (n) { autolinkText(n, genomeFor(n.parentNode)); });
  }

  function scan(root) {
    root = root || document.body;
    if (!root || !root.querySelectorAll) { return; }
    var explicit = Array.prototype.slice.call(root.querySelectorAll("[data-igv-locus]"));
    if (root.hasAttribute && root.hasAttribute("data-igv-locus")) { explicit.unshift(root); }
    explicit.forEach(linkElement);
    var areas = Array.prototype.slice.call(root.querySelectorAll("[data-igv-autolink]"));
    if (root.hasAttribute && root.hasAttribute("data-igv-autolink")) { areas.unshift(root); }
    areas.forEach(autolink);
    linkChecks(root);
  }

  var checkUrl = new URL("igv/check", base).href;

  function linkChecks(root) {
    var els = Array.prototype.slice.call(root.querySelectorAll("[data-igv-check]"));
    els.forEach(function (el) {
      if (el.hasAttribute("data-igv-linked")) { return; }
      el.setAttribute("data-igv-linked", "");
      var a = el.tagName === "A" ? el : document.createElement("a");
      a.href = checkUrl;
      a.target = target;
      a.classList.add("igv-relay-check");
      if (a !== el) {
        a.textContent = el.textContent || "Test connection to IGV";
        el.textContent = "";
        el.appendChild(a);
      }
    });
  }

  // IGV's 204 leaves the page as it was; mark the clicked link for a moment.
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a.igv-relay-link") : null;
    if (!a) { return; }
    a.classList.add("igv-relay-sent");
    window.setTimeout(function () { a.classList.remove("igv-relay-sent"); }, 4000);
  });

  window.igvRelay = { scan: scan, relayUrl: relayUrl, checkUrl: checkUrl, base: base };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document.body); });
  } else {
    scan(document.body);
  }
})();
