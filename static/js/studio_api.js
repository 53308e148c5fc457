// The studio's calls to the JSON API (docs/api.md, "The scenario studio") with the page's session: the CSRF
// token from its cookie in X-CSRFToken. An answer that is not 2xx is thrown as an ApiError with its status,
// the server's `detail` (in the page's language when the refusal names its template) and `field`, and its
// Retry-After in seconds (or null).

import { gettext, interpolate } from "./i18n.js";
import { localise } from "./studio_doc.js";

// The translations of the scenario check's and the studio's messages in the page's language, which the page
// holds (scenarios/messages.py): English template -> translation; none on an English page.
let messages = null;
export function checkMessages() {
  if (messages === null) {
    const node = document.getElementById("check-messages");
    messages = node ? JSON.parse(node.textContent) : {};
  }
  return messages;
}

// A problem, a warning or a refusal that the API gives with its template, in the page's language.
export function say(message, fallback = "") {
  return localise(message, checkMessages(), fallback);
}

export class ApiError extends Error {
  constructor(status, detail, field = null, retryAfter = null) {
    super(detail);
    this.status = status;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// A network failure (no answer at all) is thrown as an ApiError of status 0.
export async function api(method, url, body = undefined) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let answer;
  try {
    answer = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, gettext("The server could not be reached."));
  }
  if (answer.status === 204) return null;
  const type = answer.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await answer.json().catch(() => null) : await answer.text();
  if (answer.ok) return data;
  const retry = Number(answer.headers.get("Retry-After"));
  let detail = data && typeof data === "object" ? data.detail : null;
  if (Array.isArray(detail)) detail = detail.map((d) => d.msg || String(d)).join("; ");
  else if (detail && data.template) detail = say(data, detail);
  throw new ApiError(
    answer.status,
    detail || interpolate(gettext("The server answered %(status)s."), { status: answer.status }),
    data && typeof data === "object" ? data.field || null : null,
    Number.isFinite(retry) && retry > 0 ? retry : null,
  );
}

export function draftUrl(id) {
  return `/scenarios/drafts/${id}/`;
}
