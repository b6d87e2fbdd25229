/* The request form's service fields (app/templates/_service_fields.html): a field is shown
   while one of the services asking for it is ticked and its "shown only if" condition holds
   (the same rule as app/service_fields.py shown_keys; the server re-checks it all). Hidden
   fields keep what was typed but are not required; a group with no shown field is hidden. */
(function () {
  var TRUE_WORDS = ['y', 'yes', 'on', '1', 'true', 'да'];

  function chosenServices(form) {
    return Array.prototype.map.call(
      form.querySelectorAll('input[name="services"]:checked'), function (box) { return box.value; });
  }

  function valueOf(wrapper) {
    var boxes = wrapper.querySelectorAll('input[type=checkbox]');
    var field = wrapper.querySelector('input:not([type=checkbox]), select, textarea');
    if (field) return field.value.trim();
    if (boxes.length === 1 && !boxes[0].id.match(/-\d+$/)) return boxes[0].checked;
    return Array.prototype.filter.call(boxes, function (b) { return b.checked; })
      .map(function (b) { return b.value; });
  }

  function matches(value, expected) {
    expected = (expected || '').trim();
    if (typeof value === 'boolean') return value === (TRUE_WORDS.indexOf(expected.toLowerCase()) >= 0);
    if (Array.isArray(value)) return value.indexOf(expected) >= 0;
    return value !== '' && value === expected;
  }

  /* A key several services word differently: the first ticked service's wording (in the
     catalogue's order, as the server merges a choice), required if any ticked one requires
     it (app/service_fields.py offered_fields). */
  function reword(wrapper, ids) {
    var raw = wrapper.getAttribute('data-sf-variants');
    if (!raw) return;
    var variants = wrapper._sfVariants || (wrapper._sfVariants = JSON.parse(raw));
    var ticked = variants.filter(function (v) {
      return v.services.split(' ').some(function (id) { return ids.indexOf(id) >= 0; });
    });
    if (!ticked.length) return;
    var title = wrapper.querySelector('[data-sf-title]');
    if (title) title.textContent = ticked[0].title;
    var help = wrapper.querySelector('[data-sf-help]');
    if (help) { help.textContent = ticked[0].help; help.hidden = !ticked[0].help; }
    moveToGroup(wrapper, ticked[0].group);
    var required = ticked.some(function (v) { return v.required; });
    var mark = wrapper.querySelector('[data-sf-req]');
    if (mark) mark.hidden = !required;
    wrapper.querySelectorAll('input:not([type=checkbox]), select, textarea, fieldset').forEach(function (el) {
      if (required) el.setAttribute('aria-required', 'true'); else el.removeAttribute('aria-required');
    });
  }

  /* The field under the heading its wording belongs to ("Имущество", not "Квартира"), when
     the form has that group; otherwise it stays where it is. */
  function moveToGroup(wrapper, group) {
    var current = wrapper.closest('[data-sf-group]');
    var legend = current && current.querySelector('legend');
    if (!group || !current || (legend && legend.textContent.trim() === group)) return;
    var root = wrapper.closest('[data-service-fields]');
    var target = Array.prototype.find.call(root.querySelectorAll('[data-sf-group]'), function (g) {
      var l = g.querySelector('legend');
      return l && l.textContent.trim() === group;
    });
    var grid = target && target.querySelector('.sf-grid');
    if (grid) grid.appendChild(wrapper);
  }

  function update(root) {
    var form = root.closest('form') || document;
    var ids = chosenServices(form);
    var wrappers = {};
    root.querySelectorAll('[data-sf-key]').forEach(function (w) { wrappers[w.getAttribute('data-sf-key')] = w; });
    var offered = {};
    Object.keys(wrappers).forEach(function (key) {
      offered[key] = wrappers[key].getAttribute('data-sf-services').split(' ').some(function (id) {
        return ids.indexOf(id) >= 0;
      });
    });
    function shown(key, seen) {
      var w = wrappers[key];
      if (!w || !offered[key]) return false;
      var parent = w.getAttribute('data-sf-show-key');
      if (!parent) return true;
      if (seen.indexOf(key) >= 0 || !shown(parent, seen.concat([key]))) return false;
      return matches(valueOf(wrappers[parent]), w.getAttribute('data-sf-show-value'));
    }
    var any = false;
    Object.keys(wrappers).forEach(function (key) {
      reword(wrappers[key], ids);
      var show = shown(key, []);
      any = any || show;
      wrappers[key].hidden = !show;
    });
    root.querySelectorAll('[data-sf-group]').forEach(function (group) {
      group.hidden = !group.querySelector('[data-sf-key]:not([hidden])');
    });
    var none = root.querySelector('[data-sf-none]');
    if (none) none.hidden = any || ids.length > 0;
  }

  function updateAll() {
    document.querySelectorAll('[data-service-fields]').forEach(update);
  }
  document.addEventListener('change', updateAll);
  document.addEventListener('input', function (event) {
    if (event.target && event.target.closest && event.target.closest('[data-sf-key]')) updateAll();
  });
  updateAll();
})();
