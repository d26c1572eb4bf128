// The answer page's only script: it confirms that a person (not a link
// scanner, which does not run scripts) opened the score link. See the
// "Scanner protection" section of the docs.
(function () {
  var main = document.querySelector('main[data-confirm-url]');
  if (!main) return;
  fetch(main.getAttribute('data-confirm-url'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    // t: when the page was shown, so that this confirmation never wins over
    // the follow-up sent from the page should it arrive after it.
    body: JSON.stringify({ s: Number(main.getAttribute('data-score')), t: main.getAttribute('data-shown') || '' }),
    credentials: 'same-origin'
  }).catch(function () {});
})();
