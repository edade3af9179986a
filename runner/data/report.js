(function () {
  var box = document.getElementById("filter");
  var switches = Array.prototype.slice.call(document.querySelectorAll("input[data-status]"));
  var steps = Array.prototype.slice.call(document.querySelectorAll("details.step"));
  var texts = steps.map(function (s) { return s.textContent.toLowerCase(); });
  var shown = document.getElementById("shown");
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
    shown.textContent = n + " of " + steps.length + " steps shown";
  }
  box.addEventListener("input", apply);
  switches.forEach(function (s) { s.addEventListener("change", apply); });
  var preset = /[#&]filter=([^&]*)/.exec(location.hash);
  if (preset) { box.value = decodeURIComponent(preset[1]); }
  apply();
})();
