(function () {
  "use strict";
  var doc = document;
  var body = doc.body;
  var controls = doc.getElementById("controls");
  if (!controls || !body.classList) { return; }
  controls.hidden = false;
  var boxes = controls.querySelectorAll("input[data-filter]");
  function applyFilter() {
    Array.prototype.forEach.call(boxes, function (box) {
      body.classList.toggle("hide-" + box.getAttribute("data-filter"), !box.checked);
    });
  }
  Array.prototype.forEach.call(boxes, function (box) {
    box.addEventListener("change", applyFilter);
  });
  applyFilter();
  var sections = doc.querySelectorAll("section.patch");
  function setCollapsed(section, collapsed) {
    section.classList.toggle("collapsed", collapsed);
    var button = section.querySelector("button.toggle");
    if (button) {
      button.setAttribute("aria-expanded", collapsed ? "false" : "true");
      button.textContent = collapsed ? "Expand" : "Collapse";
    }
  }
  Array.prototype.forEach.call(sections, function (section) {
    var button = section.querySelector("button.toggle");
    if (!button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      setCollapsed(section, !section.classList.contains("collapsed"));
    });
  });
  function setAll(collapsed) {
    Array.prototype.forEach.call(sections, function (section) { setCollapsed(section, collapsed); });
  }
  var collapseAll = doc.getElementById("collapse-all");
  var expandAll = doc.getElementById("expand-all");
  if (collapseAll) { collapseAll.addEventListener("click", function () { setAll(true); }); }
  if (expandAll) { expandAll.addEventListener("click", function () { setAll(false); }); }
  function reveal(id) {
    var target = id ? doc.getElementById(id) : null;
    var section = target && target.closest ? target.closest("section.patch") : null;
    if (section && section.classList.contains("collapsed")) {
      setCollapsed(section, false);
      return true;
    }
    return false;
  }
  Array.prototype.forEach.call(doc.querySelectorAll("a[href^='#']"), function (link) {
    link.addEventListener("click", function () {
      reveal(decodeURIComponent(link.getAttribute("href").slice(1)));
    });
  });
  function revealHash() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (reveal(id)) { doc.getElementById(id).scrollIntoView(); }
  }
  window.addEventListener("hashchange", revealHash);
  revealHash();
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(doc.querySelectorAll("details"), function (d) { d.open = true; });
  });
}());
