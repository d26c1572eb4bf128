// Heed dashboard: state and storage. The page's one mutable state object
// and the sessionStorage it keeps between loads of the tab: the admin key
// ("heed.adminKey", sent as a bearer token) and the chosen survey
// ("heed.survey").

export const KEY_STORE = 'heed.adminKey';
export const SURVEY_STORE = 'heed.survey';

export const state = {
  surveys: [],
  survey: null,
  report: null,
  answers: null,
  gen: 0, // bumped by every load; answers of older loads are dropped
  controller: null,
  retry: null,
  chartWidth: 0,
  downloading: false,
  // The filters of the view, as in the address (url.js).
  view: { survey: '', interval: '', range: '', unconfirmed: '', group: '', tz: '', person: '', window: '' },
  personLabel: '',
  segmentsFor: '', // the survey whose segment names the picker holds
  onSurveyChanged: null, // reloads the surveys after a change (main.js)
};

export function load(key) {
  try {
    return window.sessionStorage.getItem(key);
  } catch (_) {
    return null;
  }
}

export function save(key, value) {
  try {
    if (value === null || value === undefined) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, value);
  } catch (_) {
    // Storage may be off (private mode); the page still works until reload.
  }
}
