// The office's review and assignment pages: a press on "merge into this case" writes that case's number into the
// merge field (and picks the merge outcome); "use as lead unit" writes the suggested unit. Nothing is sent.
(function () {
  function input(form, id) {
    return form.querySelector('[data-field="' + id + '"] select, [data-field="' + id + '"] textarea, ' +
                              '[data-field="' + id + '"] input:not([type="hidden"])');
  }
  function choose(form, id, value) {
    var field = input(form, id);
    if (!field) { return null; }
    field.value = value;
    field.dispatchEvent(new Event('change', {bubbles: true}));
    return field;
  }
  document.addEventListener('click', function (event) {
    var form = document.getElementById('task-form');
    var button = event.target.closest('.merge-pick, .unit-pick');
    if (!form || !button) { return; }
    if (button.classList.contains('merge-pick')) {
      ['review_outcome', 're_review_outcome', 'initial_outcome'].forEach(function (id) {
        var outcome = input(form, id);
        if (outcome && outcome.querySelector && outcome.querySelector('option[value="merge"]')) {
          choose(form, id, 'merge');
        }
      });
      var target = choose(form, document.getElementById('similar-cases').dataset.mergeField, button.dataset.number);
      if (target) { target.focus(); }
    } else {
      choose(form, 'lead_unit', button.dataset.unit);
    }
  });
})();
