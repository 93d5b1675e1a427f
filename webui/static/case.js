// On a phone the case page starts folded to its section titles, the open tasks first and open, so
// that any section is a tap away; a section the address points to, or one with a form error, stays open.
(function () {
  "use strict";
  if (!window.matchMedia("(max-width: 759px)").matches) { return; }
  var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  document.querySelectorAll("details.fold").forEach(function (fold) {
    var card = fold.closest("section");
    var keep = (card && card.id === "tasks") || (target && card && card.contains(target)) ||
      fold.querySelector(".field-error, [role=alert]");
    if (!keep) { fold.open = false; }
  });
})();
