// The answer page's only script: it confirms that a person (not a link
// scanner, which does not run scripts) opened the score link. See the
// "Scanner protection" section of the docs.
(function () {
  var main = document.querySelector('main[data-confirm-url]');
  if (!main) return;
  fetch(main.getAttribute('data-confirm-url'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ s: Number(main.getAttribute('data-score')) }),
    credentials: 'same-origin'
  }).catch(function () {});
})();
