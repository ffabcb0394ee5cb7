// Renders the charts embedded in the page (Vega-Lite specs in <script type="application/json">) with the Vega
// bundle shipped next to this file, and runs the city search of the overview. No request leaves the page.
(function () {
  "use strict";
  function renderCharts() {
    var holders = document.querySelectorAll("[data-spec]");
    Array.prototype.forEach.call(holders, function (el) {
      var source = document.getElementById(el.getAttribute("data-spec"));
      if (!source || typeof window.vegaEmbed !== "function") { return; }
      var spec = JSON.parse(source.textContent);
      window.vegaEmbed(el, spec, { actions: false, renderer: "svg" }).then(function () {
        el.classList.add("rendered");
        var svg = el.querySelector("svg");
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", el.getAttribute("aria-label"));
        }
      }).catch(function (error) {
        el.classList.add("failed");
        console.error("chart " + el.getAttribute("data-spec") + ": " + error);
      });
    });
  }
  function search() {
    var input = document.getElementById("city-search");
    var indexEl = document.getElementById("search-index");
    if (!input || !indexEl) { return; }
    var index = JSON.parse(indexEl.textContent);
    var out = document.getElementById("search-results");
    function fold(s) { return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
    input.addEventListener("input", function () {
      var q = fold(input.value.trim());
      out.innerHTML = "";
      if (!q) { return; }
      index.filter(function (c) {
        return fold(c.name).indexOf(q) >= 0 || fold(c.code).indexOf(q) >= 0 || fold(c.country).indexOf(q) >= 0;
      }).slice(0, 20).forEach(function (c) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = c.url;
        a.textContent = c.name + " (" + c.country + ")";
        li.appendChild(a);
        out.appendChild(li);
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderCharts(); search(); });
})();
