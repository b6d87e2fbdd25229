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
     kinds): merged as the server merges a choice (app/document_slots.py _merge): the first
     ticked one's title, the first hint, the largest minimum, the smallest maximum (not below
     the minimum), the kinds they all take (else every kind any takes). */
  function reword(slot, ids) {
    var raw = slot.getAttribute('data-slot-variants');
    if (!raw) return;
    var data = slot._slotVariants || (slot._slotVariants = JSON.parse(raw));
    var ticked = data.variants.filter(function (v) {
      return v.services.split(' ').some(function (id) { return ids.indexOf(id) >= 0; });
    });
    if (!ticked.length) return;
    var order = Object.keys(data.kinds);
    var merged = {title: ticked[0].title, hint: '', min: 0, max: null, accepted: null};
    ticked.forEach(function (v) {
      merged.hint = merged.hint || v.hint;
      merged.min = Math.max(merged.min, v.min);
      merged.max = merged.max === null ? v.max : Math.min(merged.max, v.max);
      if (merged.accepted === null) { merged.accepted = v.accepted.slice(); return; }
      var shared = merged.accepted.filter(function (k) { return v.accepted.indexOf(k) >= 0; });
      merged.accepted = shared.length ? shared : order.filter(function (k) {
        return merged.accepted.indexOf(k) >= 0 || v.accepted.indexOf(k) >= 0;
      });
    });
    merged.max = Math.max(merged.min, merged.max);
    var kinds = merged.accepted.map(function (k) { return data.kinds[k]; }).join(', ');
    var count = merged.min > 0 && data.held < merged.min
      ? data.of.replace('{needed}', merged.min) : data.attached;
    var facts = kinds + (merged.max > 1 ? ' · ' + data.upto.replace('{max}', merged.max) : '');
    function put(selector, text) {
      slot.querySelectorAll(selector).forEach(function (el) {
        el.textContent = text;
        if (selector === '[data-slot-hint]') el.hidden = !text;
      });
    }
    put('[data-slot-title]', merged.title);
    put('[data-slot-count]', count);
    put('[data-slot-facts]', facts);
    put('[data-slot-kinds]', kinds);
    put('[data-slot-hint]', merged.hint);
    var req = slot.querySelector('[data-slot-required]'), opt = slot.querySelector('[data-slot-optional]');
    if (req) req.hidden = merged.min === 0;
    if (opt) opt.hidden = merged.min > 0;
    slot.querySelectorAll('input[type=file]').forEach(function (input) {
      input.multiple = merged.max > 1;
      input.setAttribute('accept', merged.accepted.map(function (k) { return data.accept[k]; }).join(','));
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
