// Heed widget UI: fetched by the loader (widget.js) only when a survey is due.
// It registers itself with window.heed._ui(render); the loader calls
// render(ctx) with ctx = {base, config, respondent, props, lang, done(kind)}
// and keeps the returned {shown, hide()} to hide the widget on demand.
//
// Everything lives in an open shadow root under <div data-heed-widget>,
// appended to document.body; nothing else of the host page is touched and
// no global other than window.heed is used. Styles come from a constructable
// stylesheet (CSP-safe) and the host element's own critical styles are set
// through the CSSOM with !important, so page CSS cannot move or hide it.
// Survey texts are user data: the DOM is built with createElement and
// textContent only.
//
// Focus: when the widget opens, FOCUS GOES TO THE QUESTION (the heading,
// tabindex -1; the next Tab reaches score 0; a key press meant to scroll the
// page must not answer), unless the page's focused element is an input, textarea, select or
// contenteditable: then focus stays put and an aria-live region announces
// the survey. Tab and ArrowLeft/ArrowRight (Home/End) move between the score
// buttons. On each later step focus goes to the step's heading (tabindex -1),
// so the next Tab reaches its first control. Esc closes; on close, focus
// goes back to the element that had it before the widget opened, if focus
// was inside the widget.
//
// DOM (inside host.shadowRoot):
//   div.sr[aria-live=polite]
//   div.card[role=dialog][aria-labelledby=heed-title]
//     button.x[aria-label=Close]
//     div.body
//       step 1: h2#heed-title.q, div.scores[role=group] > button[data-score=0..10], div.ends
//       step 2: form > h2#heed-title (the group's question), div.reasons[role=group] > label.pill >
//               input[type=checkbox][name=reason][value=<reason id>], label.lbl,
//               textarea#heed-comment, input.hp[name=website],
//               div.row > button.chg (back to step 1: a new pick posts the same response_id), button.send[type=submit]
//       step 3: h2#heed-title.ty (thank you)
(() => {
  try {
    const d = document;
    const T = {
      en: 'How likely are you to recommend us to a friend or colleague?|Not likely|Very likely|What is the main reason for your score?|Anything else you would like to tell us? (optional)|Send|Close|Thank you for your feedback!|A short survey appeared|Change score',
      es: '¿Qué probabilidad hay de que nos recomiendes a un amigo o colega?|Poco probable|Muy probable|¿Cuál es el motivo principal de tu puntuación?|¿Hay algo más que quieras contarnos? (opcional)|Enviar|Cerrar|¡Gracias por tu opinión!|Ha aparecido una breve encuesta|Cambiar puntuación',
      fr: 'Quelle est la probabilité que vous nous recommandiez à un ami ou un collègue\u00a0?|Peu probable|Très probable|Quelle est la raison principale de votre note\u00a0?|Souhaitez-vous nous dire autre chose\u00a0? (facultatif)|Envoyer|Fermer|Merci pour votre avis\u00a0!|Un court sondage est apparu|Modifier la note',
      de: 'Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?|Unwahrscheinlich|Sehr wahrscheinlich|Was ist der Hauptgrund für Ihre Bewertung?|Möchten Sie uns noch etwas mitteilen? (optional)|Senden|Schließen|Vielen Dank für Ihr Feedback!|Eine kurze Umfrage ist erschienen|Bewertung ändern',
    };
    const ACCENT = '#0f766e';
    const CSS = `:host{all:initial;display:block;direction:ltr}
*{box-sizing:border-box;margin:0;padding:0;font:inherit;color:inherit;letter-spacing:normal;text-transform:none;text-align:inherit}
.card{pointer-events:auto;position:relative;display:block;width:min(540px,calc(100% - 32px));margin:0 16px 16px auto;max-height:calc(100vh - 24px);overflow:auto;background:#fff;color:#1f2937;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:16px;line-height:1.5;font-weight:400;font-style:normal;text-align:left;border:1px solid #d1d5db;border-radius:14px;box-shadow:0 12px 32px rgba(15,23,42,.16),0 2px 6px rgba(15,23,42,.08);padding:20px 20px 18px;-webkit-font-smoothing:antialiased}
h2{display:block;font-size:17px;font-weight:600;line-height:1.4;color:#111827;padding-right:36px;margin-bottom:14px;outline:none}
button{display:inline-flex;align-items:center;justify-content:center;border:1px solid transparent;background:none;cursor:pointer;touch-action:manipulation;-webkit-tap-highlight-color:transparent}
.x{position:absolute;top:8px;right:8px;width:40px;height:40px;border-radius:8px;color:#4b5563;font-size:26px;line-height:1}
.x:hover{background:#f3f4f6;color:#111827}
.scores{display:grid;grid-template-columns:repeat(11,1fr);gap:4px}
.scores button{min-width:0;height:44px;border-color:#6b7280;border-radius:8px;background:#fff;color:#1f2937;font-weight:600;font-variant-numeric:tabular-nums}
.scores button:hover{background:#f0fdfa;border-color:${ACCENT};color:${ACCENT}}
.scores .sel{background:${ACCENT};border-color:${ACCENT};color:#fff}
.ends{display:flex;justify-content:space-between;gap:12px;margin-top:6px;font-size:13px;color:#4b5563}
.reasons{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:16px}
.pill{display:inline-flex;align-items:center;gap:8px;min-height:40px;padding:7px 14px 7px 12px;border:1px solid #6b7280;border-radius:999px;background:#fff;font-size:15px;line-height:1.3;cursor:pointer;user-select:none}
.pill:hover{border-color:${ACCENT}}
.pill:has(:checked){background:#f0fdfa;border-color:${ACCENT};color:#134e4a;font-weight:600}
input[type=checkbox]{flex:none;width:18px;height:18px;accent-color:${ACCENT};cursor:pointer}
.lbl{display:block;margin-bottom:6px;font-size:15px;font-weight:600}
textarea{display:block;width:100%;min-height:84px;resize:vertical;padding:10px 12px;border:1px solid #6b7280;border-radius:8px;background:#fff;color:#1f2937;font-size:16px;line-height:1.4;white-space:pre-wrap}
textarea:focus{border-color:${ACCENT}}
.row{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:8px;margin-top:14px}
.chg{min-height:44px;padding:0 4px;color:#0f766e;font-size:15px;font-weight:600;text-decoration:underline}
.send{display:flex;margin:0 0 0 auto;min-height:44px;padding:10px 24px;border-radius:8px;background:${ACCENT};color:#fff;font-weight:600}
.send:hover{background:#115e59}
.hp,.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap;opacity:0;pointer-events:none}
.ty{margin:6px 0}
:focus-visible{outline:3px solid #111827;outline-offset:2px}
h2:focus-visible{outline:none}
@media (max-width:599px){.scores{grid-template-columns:repeat(6,1fr);gap:6px}}
@media (max-width:479px){.card{width:100%;margin:0;max-height:100vh;border-width:1px 0 0;border-radius:16px 16px 0 0;padding:18px 16px calc(16px + env(safe-area-inset-bottom))}}
@media (prefers-reduced-motion:no-preference){.card{animation:heed-in .25s ease-out}@keyframes heed-in{from{opacity:0;transform:translateY(12px)}}}`;

    // el builds an element from attributes and children (strings become
    // text nodes: never parsed as HTML).
    const el = (tag, attrs, ...kids) => {
      const e = d.createElement(tag);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      e.append(...kids);
      return e;
    };
    const uuid = () => {
      try {
        return crypto.randomUUID();
      } catch (e) {
        // randomUUID needs a secure context: build a v4 UUID by hand.
        const b = crypto.getRandomValues(new Uint8Array(16));
        b[6] = (b[6] & 15) | 64;
        b[8] = (b[8] & 63) | 128;
        return [...b]
          .map((x) => (x + 256).toString(16).slice(1))
          .join('')
          .replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
      }
    };

    const render = (ctx) => {
      const [tQuestion, tLow, tHigh, tReason, tComment, tSend, tClose, tThanks, tAppeared, tChange] = (T[ctx.lang] || T.en).split('|');
      const cfg = ctx.config;
      const shownAt = Date.now();
      const who = ctx.respondent ? { respondent: ('' + ctx.respondent).slice(0, 200) } : {};
      const props = {};
      let n = 0;
      for (const k in ctx.props) if (k && k != 'page' && k.length <= 100 && ++n < 20) props[k] = ('' + ctx.props[k]).slice(0, 500);
      props.page = location.pathname.slice(0, 500);

      // send POSTs as a CORS simple request, one at a time so a follow-up
      // is never overtaken by the answer it replaces; it retries once on a
      // network error, 429 or 5xx, unless a newer post has been queued.
      let queue = Promise.resolve();
      let seq = 0;
      const send = (path, body) => {
        const me = ++seq;
        const go = (retry) =>
          fetch(ctx.base + '/api/v1/surveys/' + encodeURIComponent(cfg.id) + path, {
            method: 'POST',
            mode: 'cors',
            credentials: 'omit',
            keepalive: true,
            headers: { 'Content-Type': 'text/plain' },
            body: JSON.stringify({ ...body, ...who, elapsed_ms: Date.now() - shownAt }),
          })
            .then((r) => {
              if (r.status > 499 || r.status == 429) throw 0;
            })
            .catch(() => retry && new Promise((r) => setTimeout(r, 1500)).then(() => me == seq && go()));
        queue = queue.then(() => go(1));
      };

      const host = el('div', { 'data-heed-widget': '' });
      // The page's CSS beats :host rules, so pin the host's own look inline.
      ('all:initial;display:block;position:fixed;top:auto;right:0;bottom:0;left:0;z-index:2147483647;margin:0;padding:0;' +
        'width:auto;height:auto;min-width:0;max-width:none;max-height:none;border:0;transform:none;opacity:1;' +
        'visibility:visible;pointer-events:none;direction:ltr')
        .split(';')
        .forEach((p) => {
          const [k, v] = p.split(':');
          host.style.setProperty(k, v, 'important');
        });
      const root = host.attachShadow({ mode: 'open' });
      try {
        if (!('adoptedStyleSheets' in root)) throw 0;
        const s = new CSSStyleSheet();
        s.replaceSync(CSS);
        root.adoptedStyleSheets = [s];
      } catch (e) {
        root.append(el('style', {}, CSS));
      }

      const live = el('div', { class: 'sr', 'aria-live': 'polite' });
      const closeBtn = el('button', { type: 'button', class: 'x', 'aria-label': tClose, title: tClose }, '\u00d7');
      const body = el('div', { class: 'body' });
      const card = el('div', { class: 'card', role: 'dialog', 'aria-labelledby': 'heed-title', lang: ctx.lang }, closeBtn, body);
      const heading = (text, cls) => el('h2', { id: 'heed-title', class: cls, tabindex: -1 }, text);

      let score = -1;
      let responseID;
      let timer;
      let open = 1;
      const ui = {
        // false once closed, or if the page dropped the host (say, a new body).
        get shown() {
          return open && (host.isConnected || !d.body);
        },
        hide: () => close(),
      };
      const close = (byUser) => {
        if (!open) return;
        open = 0;
        clearTimeout(timer);
        const focused = root.activeElement;
        host.remove();
        if (byUser && score < 0) {
          send('/dismissals', {});
          ctx.done('dismissed');
        }
        if (focused && prev && prev.focus) prev.focus({ preventScroll: true });
      };
      const answer = (reasons, comment, hp) =>
        send('/responses', { score, reasons, comment, channel: 'widget', response_id: responseID, properties: props, hp });

      // Step 3: thanks; closes itself after 4 s unless the user has moved
      // focus to a control inside the widget.
      const thanks = () => {
        const h = heading(tThanks, 'ty');
        body.replaceChildren(h);
        h.focus();
        const arm = () => {
          timer = setTimeout(() => {
            const a = root.activeElement;
            a && a != h ? arm() : close();
          }, 4000);
        };
        arm();
      };

      // Step 2: the score's group's follow-up (config follow_ups: its own
      // question, shown as written, and reasons; else the survey's reasons
      // under the standard question), a comment and the honeypot.
      const followUp = () => {
        const own = (cfg.follow_ups || {})[score < 7 ? 'detractors' : score < 9 ? 'passives' : 'promoters'];
        const reasons = ((own ? own.reasons : cfg.reasons) || []).map((r) =>
          el('label', { class: 'pill' }, el('input', { type: 'checkbox', name: 'reason', value: r.id }), el('span', {}, r.label)),
        );
        const comment = el('textarea', { id: 'heed-comment', name: 'comment', maxlength: 2000, rows: 3 });
        // A mis-tapped score: back to the scale; the new pick replaces the
        // answer (same response_id, so it counts once).
        const change = el('button', { type: 'button', class: 'chg' }, tChange);
        change.onclick = scale;
        const hp = el('input', { type: 'text', name: 'website', class: 'hp', tabindex: -1, autocomplete: 'off', 'aria-hidden': 'true' });
        const form = el(
          'form',
          { novalidate: '' },
          heading((own && own.question) || tReason, 'r'),
          reasons.length ? el('div', { class: 'reasons', role: 'group', 'aria-labelledby': 'heed-title' }, ...reasons) : '',
          el('label', { class: 'lbl', for: 'heed-comment' }, tComment),
          comment,
          hp,
          el('div', { class: 'row' }, change, el('button', { type: 'submit', class: 'send' }, tSend)),
        );
        form.onsubmit = (e) => {
          e.preventDefault();
          answer(
            [...form.querySelectorAll('input[name=reason]:checked')].map((c) => c.value),
            comment.value.trim().slice(0, 2000),
            hp.value,
          );
          thanks();
        };
        body.replaceChildren(form);
        form.firstChild.focus();
      };

      // Step 1: the question and the 0-10 scale.
      const buttons = [];
      for (let i = 0; i <= 10; i++) {
        const b = el('button', { type: 'button', 'data-score': i }, '' + i);
        b.onclick = () => {
          if (!responseID) {
            responseID = uuid();
            ctx.done('answered');
          }
          score = i;
          buttons.forEach((x) => (x.className = x == b ? 'sel' : ''));
          answer([], '', '');
          followUp();
        };
        buttons.push(b);
      }
      buttons[0].setAttribute('aria-label', '0 \u2013 ' + tLow);
      buttons[10].setAttribute('aria-label', '10 \u2013 ' + tHigh);
      const group = el('div', { class: 'scores', role: 'group', 'aria-labelledby': 'heed-title' }, ...buttons);
      group.onkeydown = (e) => {
        const i = buttons.indexOf(root.activeElement);
        const k = e.key;
        const b = buttons[k == 'ArrowRight' ? i + 1 : k == 'ArrowLeft' ? i - 1 : k == 'Home' ? 0 : k == 'End' ? 10 : -1];
        if (i >= 0 && b) {
          e.preventDefault();
          b.focus();
        }
      };
      card.onkeydown = (e) => {
        if (e.key == 'Escape') {
          e.stopPropagation();
          close(1);
        }
      };
      closeBtn.onclick = () => close(1);
      const question = heading(cfg.question || tQuestion, 'q');
      const ends = el('div', { class: 'ends', 'aria-hidden': 'true' }, el('span', {}, tLow), el('span', {}, tHigh));
      body.append(question, group, ends);
      // Back to the scale from the follow-up, focus on the score picked.
      function scale() {
        body.replaceChildren(question, group, ends);
        buttons[score].focus();
      }
      root.append(live, card);

      // The element focused on the page (looking into open shadow roots).
      let prev;
      const start = () => {
        if (!open) return;
        prev = d.activeElement;
        while (prev && prev.shadowRoot && prev.shadowRoot.activeElement) prev = prev.shadowRoot.activeElement;
        d.body.append(host);
        if (prev && (/^(INPUT|TEXTAREA|SELECT)$/.test(prev.tagName) || prev.isContentEditable)) {
          setTimeout(() => (live.textContent = tAppeared), 400);
        } else {
          // The question, not a score: a Space or Enter meant to scroll
          // the page must not answer 0.
          question.focus({ preventScroll: true });
        }
      };
      d.body ? start() : d.addEventListener('DOMContentLoaded', start);
      return ui;
    };

    const h = window.heed;
    h && h._ui && h._ui(render);
  } catch (e) {}
})();
