// Heed widget loader: served as /widget.js and embedded on customers' pages:
//
//   <script async src="https://HEED/widget.js" data-survey="SURVEY_ID"></script>
//
// It runs on every page view, so it is kept tiny: it reads the survey's
// config, applies the display rules (recontact window, URL patterns,
// sampling, eligibility, delay, scroll depth) and only then loads the UI
// bundle (__HEED_UI_PATH__, defined at build time) from Heed's origin.
//
// Commands, usable before or after this script loads:
//   window.heed = window.heed || [];
//   heed.push(['identify', {id: 'cust-42', plan: 'pro'}]);
//   heed.push(['show']);  // show now, skipping the rules (not the config)
//   heed.push(['hide']);  // hide the widget, or cancel a pending show
//
// The only global is window.heed: the queue array is replaced by an object
// whose push runs commands at once; the UI bundle registers itself through
// window.heed._ui(render). Nothing here may throw into the host page.
try {
  const w = window;
  const d = document;
  const q = w.heed;
  if (!(q && q._ui)) {
    const sc = d.currentScript || d.querySelector('script[data-survey][src*="widget.js"]');
    const id = sc.dataset.survey;
    if (!id) throw 0;
    const base = new URL(sc.src).origin;
    const key = 'heed:' + id;
    const t0 = Date.now();
    const api = (p) => base + '/api/v1/surveys/' + encodeURIComponent(id) + p;
    const getJSON = (u) =>
      fetch(u, { mode: 'cors', credentials: 'omit' }).then((r) => {
        if (!r.ok) throw 0;
        return r.json();
      });
    // Stored state {u: not before (ms), s: sampled}; storage may be blocked.
    const load = () => {
      try {
        return JSON.parse(localStorage.getItem(key)) || {};
      } catch (e) {
        return {};
      }
    };
    const save = (k, v) => {
      const st = load();
      st[k] = v;
      try {
        localStorage.setItem(key, JSON.stringify(st));
      } catch (e) {}
    };
    let respondent = '';
    let props = {};
    let cfg, cfgP, render, ui, want, added, hidden, warned;
    const config = () =>
      cfgP ||
      (cfgP = getJSON(api('/widget')).then(
        (c) => (cfg = c),
        (e) => {
          cfgP = 0;
          warned || console.warn('heed: survey unavailable');
          warned = 1;
          throw e;
        },
      ));
    const mount = () => {
      if (want && render && !hidden && !(ui && ui.shown)) try {
        want = 0;
        let lang = (cfg.language || navigator.language || '').slice(0, 2).toLowerCase();
        if (!['en', 'es', 'fr', 'de'].includes(lang)) lang = 'en';
        ui = render({
          base,
          config: cfg,
          respondent,
          props,
          lang,
          done: (k) => save('u', Date.now() + 864e5 * (+cfg['recontact_days_' + k] || 0)),
        });
      } catch (e) {}
    };
    // open shows the widget once the config is known; forced by `show`, or
    // by the rules, which stand down once the widget has been shown here or
    // when it was answered or dismissed meanwhile (say, in another tab).
    const open = (forced) => {
      if (hidden || (!forced && (ui || Date.now() < load().u))) return;
      want = 1;
      if (!added) {
        added = 1;
        const s = d.createElement('script');
        s.src = base + __HEED_UI_PATH__;
        s.async = true;
        d.head.appendChild(s);
      }
      mount();
    };
    // Patterns use * as a wildcard and match the whole path.
    const match = (list, path) =>
      (list || []).some((p) =>
        RegExp('^' + p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$').test(path),
      );
    const auto = async () => {
      const c = await config();
      if (c.active === false) return;
      const path = location.pathname;
      if ((c.url_include && c.url_include.length && !match(c.url_include, path)) || match(c.url_exclude, path)) return;
      let s = load().s;
      if (s == null) save('s', (s = Math.random() * 100 < (c.sample_percent == null ? 100 : c.sample_percent)));
      if (!s) return;
      // Time and scroll depth both count from the page load.
      const delay = new Promise((r) => setTimeout(r, t0 + 1e3 * c.delay_seconds - Date.now()));
      const scroll = new Promise((r) => {
        const f = () => {
          const e = d.documentElement;
          if (!(c.scroll_percent > 0) || ((w.scrollY + w.innerHeight) / e.scrollHeight) * 100 >= c.scroll_percent - 0.5) {
            w.removeEventListener('scroll', f);
            r();
          }
        };
        w.addEventListener('scroll', f, { passive: true });
        f();
      });
      if (respondent && !(await getJSON(api('/eligibility?respondent=' + encodeURIComponent(respondent)))).eligible) {
        save('u', Date.now() + 864e5);
        return;
      }
      await delay;
      await scroll;
      open();
    };
    const run = (cmd) => {
      try {
        const n = cmd[0];
        const a = cmd[1] || {};
        if (n == 'identify') {
          respondent = a.id == null ? '' : '' + a.id;
          props = {};
          for (const k in a) if (k != 'id' && a[k] != null) props[k] = '' + a[k];
        } else if (n == 'show') {
          hidden = 0;
          config().then(() => cfg.active === false || open(1), () => {});
        } else if (n == 'hide') {
          hidden = 1;
          want = 0;
          ui && ui.hide && ui.hide();
        }
      } catch (e) {}
    };
    w.heed = {
      push: (...cmds) => {
        cmds.forEach(run);
      },
      _ui: (f) => {
        render = f;
        mount();
      },
    };
    if (Array.isArray(q)) q.forEach(run);
    if (!(t0 < load().u)) auto().catch(() => {});
  }
} catch (e) {}
