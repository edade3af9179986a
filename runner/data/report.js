(function () {
  // one report per page, or one per collection in a merged page (section.report): each its own
  function wire(root) {
    var box = root.querySelector("#filter");
    var switches = Array.prototype.slice.call(root.querySelectorAll("input[data-status]"));
    var steps = Array.prototype.slice.call(root.querySelectorAll("details.step"));
    var iters = Array.prototype.slice.call(root.querySelectorAll("details.iter"));
    var texts = steps.map(function (s) { return s.textContent.toLowerCase(); });
    var shown = root.querySelector("#shown");
    function apply() {
      var q = box.value.trim().toLowerCase();
      var allowed = {};
      switches.forEach(function (s) { allowed[s.getAttribute("data-status")] = s.checked; });
      var n = 0;
      steps.forEach(function (s, i) {
        var ok = allowed[s.getAttribute("data-status")] !== false && (!q || texts[i].indexOf(q) >= 0);
        s.hidden = !ok;
        if (ok) { n += 1; }
      });
      // an iteration with no step left is hidden; with a filter, the others open on their matches
      iters.forEach(function (it) {
        var visible = it.querySelector("details.step:not([hidden])") !== null;
        it.hidden = !visible;
        if (q && visible) { it.open = true; }
      });
      shown.textContent = n + " of " + steps.length + " steps shown";
    }
    function fromHash() {
      var preset = /[#&]filter=([^&]*)/.exec(location.hash);
      if (preset) { box.value = decodeURIComponent(preset[1]); }
      apply();
    }
    box.addEventListener("input", apply);
    switches.forEach(function (s) { s.addEventListener("change", apply); });
    window.addEventListener("hashchange", fromHash);
    fromHash();
  }
  var roots = Array.prototype.slice.call(document.querySelectorAll("section.report"));
  (roots.length ? roots : [document]).forEach(wire);
})();
