// Why a request failed, in the users' words: every failed GraphQL request (graphql.ts)
// is given one kind here, and ErrorMessage (ui.tsx) shows that kind's text on every
// screen, with what to do (log in again, reload, try again). The server's own messages
// speak to API clients ("Authentication required: … send 'Authorization: Bearer …'"),
// so they are kept only as details for whoever the user asks for help.

/** What went wrong with a request, as far as the user is concerned. */
export type FailureKind =
  /** Not logged in any more (UNAUTHENTICATED, a 401, or a redirect to the login page). */
  | "session-ended"
  /** The session's CSRF token no longer matches (logged in or out in another window). */
  | "session-changed"
  /** No answer at all: the server is stopped or the network is down. */
  | "unreachable"
  /** The server or a proxy in front of it answered 502/503/504 or SERVICE_UNAVAILABLE. */
  | "unavailable"
  /** The user lacks the permission (FORBIDDEN on what was asked as a whole). */
  | "forbidden"
  /** A change outside the user's districts (FORBIDDEN, reason OUTSIDE_DISTRICTS). */
  | "outside-districts"
  /**
   * Someone changed the row since the page read it (BAD_USER_INPUT, reason STALE_VERSION):
   * nothing was written; to read it again before changing it.
   */
  | "changed-since-read"
  /** Above one of the server's limits (LIMIT_EXCEEDED, 413). */
  | "too-large"
  /**
   * The server refused what the user typed (BAD_USER_INPUT naming the `argument`: a search
   * text too long …): to change where they typed it; reloading would not help.
   */
  | "input-refused"
  /** The server could not take the request as the page made it (a cursor, BAD_REQUEST, a 400). */
  | "invalid"
  /** A bug or an unexpected error on the server (INTERNAL_SERVER_ERROR, a 500, an unknown code). */
  | "server-error"
  /** An answer that is not the API's JSON (a proxy's or a portal's page). */
  | "unreadable"
  /** Not a request's failure: an error of the page itself. */
  | "page-error";

/** Which kind wins when an answer carries errors of several kinds: the first listed. */
const PRECEDENCE: readonly FailureKind[] = [
  "session-ended",
  "session-changed",
  "unavailable",
  "server-error",
  "forbidden",
  "outside-districts",
  "changed-since-read",
  "too-large",
  "input-refused",
  "invalid",
];

/** What an error of the API carries besides its message (README "Error codes"). */
export interface ErrorExtensions {
  code?: string;
  /** The input a BAD_USER_INPUT refuses, when a person typed it ("filter.search"). */
  argument?: string;
  /**
   * Why a FORBIDDEN: OUTSIDE_DISTRICTS for a change outside the user's districts; why a
   * BAD_USER_INPUT: STALE_VERSION for a change to a row changed since it was read.
   */
  reason?: string;
}

/**
 * The kind of an error by its `extensions`: its code (codes of README "Error codes"),
 * told apart by their data, never by the message's words: a refused input the user typed
 * (`argument`) from a request the page made wrong, a district right from a permission.
 */
export function kindOfError(extensions: ErrorExtensions = {}): FailureKind {
  switch (extensions.code) {
    case "UNAUTHENTICATED":
      return "session-ended";
    case "FORBIDDEN":
      return extensions.reason === "OUTSIDE_DISTRICTS" ? "outside-districts" : "forbidden";
    case "LIMIT_EXCEEDED":
      return "too-large";
    case "BAD_USER_INPUT":
      if (extensions.reason === "STALE_VERSION") return "changed-since-read";
      return extensions.argument ? "input-refused" : "invalid";
    case "BAD_REQUEST":
    case "GRAPHQL_PARSE_FAILED":
    case "GRAPHQL_VALIDATION_FAILED":
    case "NOT_FOUND":
      return "invalid";
    case "SERVICE_UNAVAILABLE":
      return "unavailable";
    default:
      return "server-error";
  }
}

/** The kind of an HTTP status without a readable GraphQL answer. */
export function kindOfStatus(status: number): FailureKind {
  if (status === 401) return "session-ended";
  if (status === 403) return "session-changed";
  if (status === 413 || status === 429) return "too-large";
  if (status === 502 || status === 503 || status === 504) return "unavailable";
  if (status >= 400 && status < 500) return "invalid";
  return status >= 500 ? "server-error" : "unreadable";
}

/** The kind that stands for all of `kinds` (see PRECEDENCE). */
export function strongestKind(kinds: readonly FailureKind[]): FailureKind {
  return PRECEDENCE.find((kind) => kinds.includes(kind)) ?? kinds[0] ?? "server-error";
}

/** What the UI knows of a failure besides its kind. */
export interface FailureFacts {
  kind: FailureKind;
  /** Seconds the server asked to wait (Retry-After), when it said. */
  retryAfter?: number | null;
  /** The server's (or the browser's) own messages. */
  details?: string;
  /** Whether nothing was changed: the server said so (SERVICE_UNAVAILABLE rolls back). */
  nothingChanged?: boolean;
  /** The input the server refused, when the user typed it (`extensions.argument`). */
  argument?: string;
}

/** The users' words for the inputs the API names in its refusals (`extensions.argument`). */
const ARGUMENT_WORDS: Readonly<Record<string, string>> = { "filter.search": "the search text" };

/** The server's reason for refusing what the user typed, the input named in their words. */
function refusalReason({ details, argument }: FailureFacts): string {
  const reason = (details ?? "").replace(/\.$/, "");
  return argument && Object.hasOwn(ARGUMENT_WORDS, argument)
    ? reason.replaceAll(argument, ARGUMENT_WORDS[argument])
    : reason;
}

/** "in 5 seconds", "in a minute", "in 3 minutes": when to try again after `seconds`. */
export function waitText(seconds: number | null | undefined): string {
  if (!seconds || seconds <= 0) return "in a moment";
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? "in a minute" : `in ${minutes} minutes`;
}

/** The permission a FORBIDDEN message names ("Permission denied: you need 'x.y'."), if any. */
function neededPermission(details: string | undefined): string | null {
  return /you need '([^']+)'/.exec(details ?? "")?.[1] ?? null;
}

/** The sentence the user reads for a failure (without its link or button). */
export function failureText(failure: FailureFacts): string {
  switch (failure.kind) {
    case "session-ended":
      return "Your session has ended — log in again.";
    case "session-changed":
      return "Your session has changed (you logged in or out in another window) — reload the page.";
    case "unreachable":
      return "The server cannot be reached. Check your network connection, then try again.";
    case "unavailable":
      return failure.nothingChanged
        ? `The server is busy; nothing was changed. Try again ${waitText(failure.retryAfter)}.`
        : `The server is not available at the moment. Try again ${waitText(failure.retryAfter)}.`;
    case "forbidden": {
      const permission = neededPermission(failure.details);
      return permission
        ? `You are not allowed to do this: it needs the permission “${permission}”, which your administrator can give you.`
        : "You are not allowed to do this. Your administrator can give you the permission.";
    }
    case "outside-districts":
      return "This is outside your districts: you may change only what lies in or below your districts, and put things only there.";
    case "changed-since-read":
      return "Someone else changed this since you opened it; nothing was changed. Reload the page to see their change, then make yours again.";
    case "too-large":
      return "This asks for more than the server accepts at once. Ask for less (a shorter text, a narrower search) and try again.";
    case "input-refused":
      // the server's reason is the cause itself (a text's length and its limit): said here
      return `The server did not accept what you entered${failure.details ? ` (${refusalReason(failure)})` : ""}. Change it and try again.`;
    case "invalid":
      return "The server could not accept this request. Reload the page and try again; if it happens again, tell your administrator.";
    case "server-error":
      return "Something went wrong on the server. Try again; if it happens again, tell your administrator.";
    case "unreadable":
      return "The answer that came back is not the server's (a proxy or network sign-in page may be in the way). Reload the page; if it happens again, tell your administrator.";
    case "page-error":
      return "Something went wrong in this page. Reload it; if it happens again, tell your administrator.";
  }
}

/**
 * Whether the server's own messages go under "Details": not for a session that ended
 * (they tell API clients how to authenticate), nor for refused input (its text says them).
 */
export function showsDetails(kind: FailureKind): boolean {
  return kind !== "session-ended" && kind !== "input-refused";
}

/** Whether asking again, unchanged, may succeed (a "Try again" button makes sense). */
export function worthRetrying(kind: FailureKind): boolean {
  return kind === "unreachable" || kind === "unavailable" || kind === "server-error";
}

/** The login page's URL that leads back to the page the user is on (`next`). */
export function loginAgainUrl(loginUrl: string, location: Pick<Location, "pathname" | "search" | "hash">): string {
  const next = `${location.pathname}${location.search}${location.hash}`;
  return `${loginUrl}?next=${encodeURIComponent(next)}`;
}

/** The Retry-After header's seconds (a number, or an HTTP date), or null. */
export function retryAfterSeconds(header: string | null, now: number = Date.now()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/** What to offer beside a failure's text. */
export type FailureAction = "log-in" | "reload" | "try-again" | null;

/** The action that fits `kind`: log in again, reload the page, or ask again. */
export function failureAction(kind: FailureKind): FailureAction {
  if (kind === "session-ended") return "log-in";
  if (worthRetrying(kind)) return "try-again";
  if (kind === "session-changed" || kind === "invalid" || kind === "unreadable" || kind === "page-error") {
    return "reload";
  }
  return null;
}
