/* Behaviour that used to live in inline handlers (blocked by the Content-Security-Policy):
   <form data-confirm="Question?"> asks before submitting (or a submit button's own
   data-confirm, asked when that button sends the form);
   <input type="checkbox" data-check-all="css selector"> ticks every matching box. */
(function () {
  /* A page drawn by a refused POST names its own address (app/typed_input.py): shown in the
     address bar, so a reload opens the page instead of sending the form again. */
  var here = document.querySelector('meta[name="replan-page-url"]');
  if (here && window.history && window.history.replaceState) {
    window.history.replaceState(null, '', here.getAttribute('content'));
  }
  /* ... and the refusal is repeated just above the refused form, which is brought into view
     (on a phone the form sat a screen or more below the message at the top). */
  document.addEventListener('DOMContentLoaded', function () {
    var sent = here && here.getAttribute('data-form');
    var form = sent && document.querySelector('form[action="' + CSS.escape(sent) + '"]');
    var said = document.querySelector('.alert-danger, .flash.danger');
    if (!form || !said) return;
    var copy = said.cloneNode(true);
    var close = copy.querySelector('.close');
    if (close) close.remove();
    copy.removeAttribute('role');
    copy.setAttribute('aria-hidden', 'true');  /* the message at the top is announced */
    copy.classList.add('refusal-copy');
    form.parentNode.insertBefore(copy, form);
    if (copy.getBoundingClientRect().top > window.innerHeight * 0.5) copy.scrollIntoView();
  });
  /* A form sent back with errors: its first marked control is brought into view and focused
     (on a phone the only error sat below the fold, under the sticky buttons, and the page
     opened at the top as if nothing had happened); a calculation's result is brought into
     view the same way ([data-show-on-load]). */
  document.addEventListener('DOMContentLoaded', function () {
    var bad = document.querySelector('form [aria-invalid="true"], form .errors');
    var target = bad || document.querySelector('[data-show-on-load]');
    if (!target || document.querySelector('.refusal-copy')) return;
    target.scrollIntoView({block: 'center'});
    if (bad && bad.matches('input, select, textarea')) bad.focus({preventScroll: true});
  });
  document.addEventListener('submit', function (event) {
    var form = event.target, button = event.submitter;
    var question = (button && button.getAttribute('data-confirm')) ||
      (form && form.getAttribute && form.getAttribute('data-confirm'));
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
  document.addEventListener('change', function (event) {
    var box = event.target;
    var selector = box && box.getAttribute && box.getAttribute('data-check-all');
    if (!selector) return;
    document.querySelectorAll(selector).forEach(function (other) { other.checked = box.checked; });
  });
})();
/* Flask-AppBuilder's widgets without its select2 and datepicker bundles (issue 16: light
   pages): native controls do the job. FAB's scripts still call the plugins, so they are
   stand-ins: select2() leaves the native <select> and reports its changes as select2 does
   (ab_filters.js renames the filter field on 'select2:select'); datepicker() and
   datetimepicker() turn a date field into <input type="date">. ab.js's dialogs live here. */
(function ($) {
  if (!$) return;
  if (!$.fn.select2) {
    $.fn.select2 = function () {
      return this.off('change.replan').on('change.replan', function () {
        $(this).trigger($.Event('select2:select', {params: {data: {id: this.value}}}));
      });
    };
  }
  function nativeDate() {
    return this.each(function () {
      var $input = $(this).is('input') ? $(this) : $('input', this);
      if ($(this).closest('.appbuilder_datetime').length) {
        $input.attr('placeholder', 'YYYY-MM-DD HH:MM:SS');
      } else {
        $input.attr('type', 'date');
      }
    });
  }
  if (!$.fn.datepicker) $.fn.datepicker = nativeDate;
  if (!$.fn.datetimepicker) $.fn.datetimepicker = nativeDate;
  window.ab_alert = window.ab_alert || function (text) {
    $('#modal-alert .modal-text').text(text);
    $('#modal-alert').modal('show');
  };
  $(function () {
    $('.appbuilder_date, .appbuilder_datetime').datepicker();
    $('.my_select2').select2();
    $(document).on('click', '.confirm', function () {
      $('#modal-confirm .modal-text').text($(this).data('text'));
    });
    $('#modal-confirm').on('show.bs.modal', function (event) {
      var href = $(event.relatedTarget).data('href');
      if (href) $(this).find('#modal-confirm-ok').attr('href', href);
    });
  });
})(window.jQuery);
/* Flask-AppBuilder's search rows (ab_filters.js) come without labels: each row's condition
   and value controls are named after the column ("Status — condition"), its remove link
   says what it does; the words come from data-filter-* on the panel (replan_list.html). */
(function () {
  function nameRow(row, words) {
    var remove = row.querySelector('a.remove-filter');
    if (!remove || row.getAttribute('data-named')) return;
    var icon = remove.querySelector('.close-icon');
    if (icon) icon.setAttribute('aria-hidden', 'true');
    var column = remove.textContent.replace('\u00d7', '').trim();
    remove.setAttribute('aria-label', words.remove + ': ' + column);
    var condition = row.querySelector('select.filter-op');
    if (condition) condition.setAttribute('aria-label', column + ' \u2014 ' + words.condition);
    row.querySelectorAll('td.filter input:not([type=hidden]), td.filter select:not(.filter-op)')
      .forEach(function (field) {
        if (!field.getAttribute('aria-label') && !(field.id && document.querySelector('label[for="' + field.id + '"]'))) {
          field.setAttribute('aria-label', column + ' \u2014 ' + words.value);
        }
      });
    row.setAttribute('data-named', '1');
  }
  function watch(panel) {
    var words = {condition: panel.getAttribute('data-filter-condition'),
                 value: panel.getAttribute('data-filter-value'),
                 remove: panel.getAttribute('data-filter-remove')};
    var name = function () { panel.querySelectorAll('table.filters tr').forEach(function (row) { nameRow(row, words); }); };
    name();
    new MutationObserver(name).observe(panel, {childList: true, subtree: true});
  }
  function start() { document.querySelectorAll('[data-filter-condition]').forEach(watch); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
