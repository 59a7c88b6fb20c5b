// Upgrade the static SVG charts of a collabready report to interactive ones.
// Each <figure data-spec="ID"> has its Vega-Lite spec in <script type="application/json" id="ID">.
// Needs vega, vega-lite and vega-embed loaded first (served locally, never from a CDN).
(function () {
  "use strict";
  if (typeof window.vegaEmbed !== "function") { return; }
  document.querySelectorAll("figure[data-spec]").forEach(function (figure) {
    var source = document.getElementById(figure.getAttribute("data-spec"));
    var img = figure.querySelector("img");
    if (!source || !img) { return; }
    var holder = document.createElement("div");
    holder.setAttribute("role", "img");
    holder.setAttribute("aria-label", img.getAttribute("alt") || "");
    window.vegaEmbed(holder, JSON.parse(source.textContent), { actions: false, renderer: "svg" })
      .then(function () { img.replaceWith(holder); })
      .catch(function () { /* keep the static chart */ });
  });
})();
