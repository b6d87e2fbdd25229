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
/* Flask-AppBuilder's search filters call $.fn.datetimepicker, a plugin FAB does not ship
   ("datetimepicker is not a function"): route it to the bundled bootstrap-datepicker. */
(function ($) {
  if (!$ || $.fn.datetimepicker) return;
  $.fn.datetimepicker = function () {
    var fields = this;
    $(function () { if ($.fn.datepicker) fields.datepicker({format: 'yyyy-mm-dd'}); });
    return this;
  };
})(window.jQuery);
