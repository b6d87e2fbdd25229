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
