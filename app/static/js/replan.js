/* Behaviour that used to live in inline handlers (blocked by the Content-Security-Policy):
   <form data-confirm="Question?"> asks before submitting;
   <input type="checkbox" data-check-all="css selector"> ticks every matching box. */
(function () {
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute('data-confirm');
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
