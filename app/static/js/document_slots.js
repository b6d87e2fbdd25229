/* The request form's document checklist (cabinet/_document_slots.html, the back office's
   request for a partner): a document is shown while one of the services asking for it is
   ticked; a hidden document's file input is emptied and disabled, so it sends nothing.
   The server re-checks everything (app/document_slots.py). */
(function () {
  function chosen(form) {
    return Array.prototype.map.call(
      form.querySelectorAll('input[name="services"]:checked'), function (box) { return box.value; });
  }
  /* A document the ticked services ask for differently (title, hint, how many files, which
     kinds): the first ticked one's, as the server merges a choice in checklist order; several
     files may be picked when one of them takes several (app/document_slots.py form_checklist). */
  function reword(slot, ids) {
    var raw = slot.getAttribute('data-slot-variants');
    if (!raw) return;
    var variants = slot._slotVariants || (slot._slotVariants = JSON.parse(raw));
    var ticked = variants.filter(function (v) {
      return v.services.split(' ').some(function (id) { return ids.indexOf(id) >= 0; });
    });
    if (!ticked.length) return;
    var first = ticked[0];
    function put(selector, text) {
      var el = slot.querySelector(selector);
      if (el) { el.textContent = text; if (selector === '[data-slot-hint]') el.hidden = !text; }
    }
    put('[data-slot-title]', first.title);
    put('[data-slot-count]', first.count);
    put('[data-slot-facts]', first.facts);
    put('[data-slot-hint]', first.hint);
    var required = ticked.some(function (v) { return v.required; });
    var req = slot.querySelector('[data-slot-required]'), opt = slot.querySelector('[data-slot-optional]');
    if (req) req.hidden = !required;
    if (opt) opt.hidden = required;
    slot.querySelectorAll('input[type=file]').forEach(function (input) {
      input.multiple = first.multiple;
      input.setAttribute('accept', first.accept);
    });
  }

  function update(form) {
    var ids = chosen(form), any = false;
    form.querySelectorAll('[data-slot-services]').forEach(function (slot) {
      reword(slot, ids);
      var show = slot.getAttribute('data-slot-services').split(' ').some(function (id) {
        return ids.indexOf(id) >= 0;
      });
      any = any || show;
      slot.hidden = !show;
      slot.querySelectorAll('input[type=file]').forEach(function (input) {
        input.disabled = !show;
        if (!show) input.value = '';
      });
    });
    var section = form.querySelector('[data-document-slots]');
    if (section) section.hidden = !(any || section.querySelector('[data-testid="loose-slot-files"]'));
  }
  document.addEventListener('change', function (event) {
    var box = event.target;
    if (box && box.name === 'services' && box.form) update(box.form);
  });
  document.querySelectorAll('[data-document-slots]').forEach(function (section) {
    var form = section.closest('form');
    if (form) update(form);
  });
})();
