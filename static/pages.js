// Keyboard navigation for link pages: j/k (or arrow keys) move the highlighted
// row, Enter opens its "View in IGV" link; a click on a row (outside its links)
// selects it too. Selecting a row tells the "View here" panel (viewer.js) with
// an `igv-relay:row` event. Pages work fully without this.
(function () {
  "use strict";
  // The filter sheet (templates/file.html) is a one-line bar on a wide
  // screen, so it starts open there; on a small one it stays a button.
  var sheet = document.getElementById("filters");
  if (sheet && window.matchMedia && window.matchMedia("(min-width: 600px)").matches) { sheet.open = true; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.records tbody tr"))
    .filter(function (r) { return r.querySelector("a.igv-link"); });
  if (!rows.length) { return; }
  var current = -1;
  function select(i) {
    if (current >= 0) { rows[current].classList.remove("current"); }
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows[current].classList.add("current");
    rows[current].scrollIntoView({ block: "nearest" });
    var locus = rows[current].querySelector("a.igv-link").getAttribute("data-locus");
    document.dispatchEvent(new CustomEvent("igv-relay:row", { detail: { locus: locus } }));
    clearOfViewer(rows[current]);
  }
  // On a narrow screen the viewer is pinned at the foot of the window, over
  // the table: scroll the page so the selected row shows above it.
  function clearOfViewer(row) {
    var viewer = document.getElementById("igv-viewer");
    if (!viewer) { return; }
    var v = viewer.getBoundingClientRect();
    var r = row.getBoundingClientRect();
    var box = row.closest(".table-box");
    var beside = box && v.left >= box.getBoundingClientRect().right - 1;
    if (!beside && r.bottom > v.top && r.top < v.bottom) { window.scrollBy(0, r.bottom - v.top + 8); }
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) { return; }
    // Enter on a focused link, button or summary does what that control says.
    if (e.key === "Enter" && t && t.closest && t.closest("a, button, summary")) { return; }
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "j" || e.key === "ArrowDown") { select(current + 1); e.preventDefault(); }
    else if (e.key === "k" || e.key === "ArrowUp") { select(current - 1); e.preventDefault(); }
    else if (e.key === "Enter" && current >= 0) { rows[current].querySelector("a.igv-link").click(); e.preventDefault(); }
  });
  rows.forEach(function (row, i) {
    row.addEventListener("click", function (e) {
      if (e.target && e.target.closest && e.target.closest("a, button, input")) { return; }
      select(i);
    });
  });
})();
