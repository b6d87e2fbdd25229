/* The request form's document checklist (cabinet/_document_slots.html, the back office's
   request for a partner): a document is shown while one of the services asking for it is
   ticked; a hidden document's file input is emptied and disabled, so it sends nothing.
   The server re-checks everything (app/document_slots.py). */
(function () {
  function chosen(form) {
    return Array.prototype.map.call(
      form.querySelectorAll('input[name="services"]:checked'), function (box) { return box.value; });
  }
  function update(form) {
    var ids = chosen(form), any = false;
    form.querySelectorAll('[data-slot-services]').forEach(function (slot) {
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
