// A file over the size limit is refused in the browser before any byte is sent: the field says so,
// naming the limit (the server refuses it too, but only after the upload has begun).
(function () {
  "use strict";
  function oversized(input) {
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var names = [];
    Array.prototype.forEach.call(input.files || [], function (file) {
      if (limit && file.size > limit) { names.push(file.name); }
    });
    return names;
  }
  function check(input) {
    var names = oversized(input);
    var note = document.getElementById(input.id + "-too-large");
    var message = names.length ? input.getAttribute("data-too-large").replace("%s", names.join(", ")) : "";
    input.setCustomValidity(message);
    input.setAttribute("aria-invalid", names.length ? "true" : "false");
    if (note) { note.textContent = message; note.hidden = !names.length; }
    return !names.length;
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-bytes]")) { check(input); }
  });
  document.addEventListener("submit", function (event) {
    var inputs = event.target.querySelectorAll("input[type=file][data-max-bytes]");
    for (var i = 0; i < inputs.length; i++) {
      if (!check(inputs[i])) { event.preventDefault(); inputs[i].focus(); return; }
    }
  }, true);
})();
