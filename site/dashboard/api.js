// Heed dashboard: API calls. fetch() with the stored key as a bearer
// token, or else with the session cookie (same origin) and, on every
// request that changes something, the session's X-CSRF-Token; the API's
// JSON errors as ApiError, survey paths, and the file name of a CSV
// download.

import { KEY_STORE, load, state } from './state.js';

// authHeaders are the credential headers of a request: the key as a
// bearer token, or (a session: the browser sends the cookie itself) the
// CSRF token on a request that changes something.
export function authHeaders(method) {
  const key = load(KEY_STORE) || '';
  if (key) return { Authorization: `Bearer ${key}` };
  if (state.csrf && method !== 'GET' && method !== 'HEAD') return { 'X-CSRF-Token': state.csrf };
  return {};
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// api fetches path with the key or the session; init may give a method
// and a JSON body (cases.js: PATCH), and anonymous: true to send no key
// (signing in).
export async function api(path, signal, init) {
  const method = (init && init.method) || 'GET';
  const headers = init && init.anonymous ? {} : authHeaders(method);
  if (init && init.body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      body: init && init.body !== undefined ? JSON.stringify(init.body) : undefined,
      headers,
      cache: 'no-store',
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Could not reach the Heed server. Check your connection and try again.');
  }
  if (!res.ok) throw await apiError(res);
  return res;
}

async function apiError(res) {
  let code = '';
  let message = '';
  try {
    const body = await res.json();
    if (body && body.error) {
      code = String(body.error.code || '');
      message = String(body.error.message || '');
      if (body.error.fields && typeof body.error.fields === 'object') {
        const details = Object.entries(body.error.fields).map(([k, v]) => `${k} ${v}`);
        if (details.length) message += ` (${details.join('; ')})`;
      }
    }
  } catch (_) {
    // Not JSON: fall back to the status text.
  }
  return new ApiError(res.status, code, message || res.statusText || 'request failed');
}

export function isAbort(err) {
  return err && err.name === 'AbortError';
}

// The path of the chosen survey's report, responses or report.csv.
export function surveyPath(suffix) {
  return `/api/v1/surveys/${encodeURIComponent(state.survey.id)}/${suffix}`;
}

// The file name a Content-Disposition header gives, or ''.
export function filenameFrom(header) {
  if (!header) return '';
  let name = '';
  let m = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (m) {
    try {
      name = decodeURIComponent(m[1].trim().replace(/^"|"$/g, ''));
    } catch (_) {
      name = '';
    }
  }
  if (!name) {
    m = /filename\s*=\s*"((?:\\.|[^"\\])*)"/i.exec(header);
    if (m) name = m[1].replace(/\\(.)/g, '$1');
  }
  if (!name) {
    m = /filename\s*=\s*([^;]+)/i.exec(header);
    if (m) name = m[1].trim();
  }
  // A file name only: no folders, no control characters.
  name = name.replace(/[\\/\u0000-\u001f\u007f]/g, '_').replace(/^\.+/, '').trim().slice(0, 200);
  return name;
}

// send makes a state-changing request (with a JSON body, if any) and
// returns the answer's JSON, or null for an empty answer.
export async function send(method, path, body) {
  const res = await api(path, undefined, { method, body });
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}
