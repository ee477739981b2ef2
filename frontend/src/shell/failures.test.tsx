// Failed requests in the users' words: each way /graphql can fail (no answer, a session
// ended, each error code, a proxy's page) gives the text, the action and the details the
// screens show (ErrorMessage), and the header stops naming a user whose session ended.
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TypedDocumentString } from "../gql/graphql";
import { retryAfterSeconds, waitText, type ErrorExtensions } from "./failures";
import { useShellStore } from "./store";
import { answerAll, renderShell, requestFailure } from "./testing";
import { failureOf } from "./ui";

const Query = new TypedDocumentString<unknown, Record<string, never>>("query Probe { __typename }");
const Mutation = new TypedDocumentString<unknown, Record<string, never>>("mutation Change { __typename }");

const AUTHENTICATION_REQUIRED =
  "Authentication required: log in (Django session, /accounts/login/) or send 'Authorization: Bearer <token>'.";

const answer = answerAll;

function errorBody(code: string, message: string, path?: string[], extensions: ErrorExtensions = {}) {
  return { data: null, errors: [{ message, path, extensions: { code, ...extensions } }] };
}

const TOO_LONG = "filter.search has 201 characters; at most 200.";
const OUTSIDE =
  "District rights: you may change only locations in or below your districts; location 5d7f0c4e-2a1b-4c3d-9e8f-7a6b5c4d3e21 is outside them.";

const failure = (document = Query) => requestFailure(document);

afterEach(() => {
  vi.unstubAllGlobals();
  useShellStore.setState({ sessionEnded: false });
});

describe("what each failure says", () => {
  it("says the session ended for UNAUTHENTICATED, a 401 and a redirect to the login page", async () => {
    answer(200, errorBody("UNAUTHENTICATED", AUTHENTICATION_REQUIRED, ["locations"]));
    const anonymous = await failure();
    expect(anonymous.message).toBe(AUTHENTICATION_REQUIRED);
    expect(anonymous.failure).toEqual({
      kind: "session-ended",
      retryAfter: null,
      nothingChanged: false,
      details: AUTHENTICATION_REQUIRED,
    });
    expect(useShellStore.getState().sessionEnded).toBe(true);
    answer(401, errorBody("UNAUTHENTICATED", "Invalid or expired bearer token."));
    expect((await failure()).failure.kind).toBe("session-ended");
    const login = new Response("<html>login</html>", { status: 200 });
    Object.defineProperty(login, "redirected", { value: true });
    Object.defineProperty(login, "url", { value: "http://testserver/accounts/login/?next=/graphql" });
    vi.stubGlobal("fetch", vi.fn(async () => login));
    expect((await failure()).failure.kind).toBe("session-ended");
  });

  it("says the server cannot be reached when no answer came, read or change", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    const read = await failure();
    expect(read.message).toBe("Failed to fetch");
    expect(read.retryable).toBe(true);
    expect(read.failure.kind).toBe("unreachable");
    expect(failureOf(read)).toEqual({ kind: "unreachable", details: "Failed to fetch", operation: "query" });
    expect(failureOf(await failure(Mutation)).operation).toBe("mutation");
    // fetch's rejection reaching a screen unwrapped is read the same way
    expect(failureOf(new TypeError("NetworkError when attempting to fetch resource.")).kind).toBe("unreachable");
  });

  it("gives every error code its kind, the CSRF refusal (403) its own", async () => {
    const cases: [number, string, string][] = [
      [200, "FORBIDDEN", "forbidden"],
      [403, "FORBIDDEN", "session-changed"],
      [400, "LIMIT_EXCEEDED", "too-large"],
      [200, "BAD_USER_INPUT", "invalid"],
      [400, "BAD_REQUEST", "invalid"],
      [503, "SERVICE_UNAVAILABLE", "unavailable"],
      [200, "INTERNAL_SERVER_ERROR", "server-error"],
      [500, "INTERNAL_SERVER_ERROR", "server-error"],
      [200, "SOMETHING_NEW", "server-error"],
    ];
    for (const [status, code, kind] of cases) {
      answer(status, errorBody(code, `a ${code}`));
      expect([status, code, (await failure()).failure.kind]).toEqual([status, code, kind]);
    }
    // told apart by their data, whatever the words: what the user typed, a district right
    answer(200, errorBody("BAD_USER_INPUT", TOO_LONG, ["locations"], { argument: "filter.search" }));
    expect((await failure()).failure.kind).toBe("input-refused");
    answer(200, errorBody("FORBIDDEN", "Refused.", ["updateLocation"], { reason: "OUTSIDE_DISTRICTS" }));
    expect((await failure(Mutation)).failure.kind).toBe("outside-districts");
    answer(200, errorBody("BAD_USER_INPUT", "Changed.", ["updatePayer"], { reason: "STALE_VERSION" }));
    expect((await failure(Mutation)).failure.kind).toBe("changed-since-read");
    expect(useShellStore.getState().sessionEnded).toBe(false);
  });

  it("reads a proxy's page by its status: unavailable, too large, or someone else's answer", async () => {
    const cases: [number, string][] = [
      [502, "unavailable"],
      [503, "unavailable"],
      [504, "unavailable"],
      [413, "too-large"],
      [500, "server-error"],
      [200, "unreadable"],
      [403, "unreadable"],
      [404, "unreadable"],
    ];
    for (const [status, kind] of cases) {
      answer(status, "<html><body>proxy</body></html>");
      const error = await failure();
      expect([status, error.failure.kind]).toEqual([status, kind]);
      expect(error.message).toMatch(new RegExp(`^The server answered ${status}`));
    }
  });

  it("keeps Retry-After, in seconds or as a date", async () => {
    answer(503, errorBody("SERVICE_UNAVAILABLE", "The database is unavailable or busy; nothing was changed. Retry shortly."), {
      "Retry-After": "5",
    });
    expect((await failure()).failure).toMatchObject({ kind: "unavailable", retryAfter: 5, nothingChanged: true });
    expect(retryAfterSeconds("Wed, 21 Oct 2026 07:28:30 GMT", Date.parse("Wed, 21 Oct 2026 07:28:00 GMT"))).toBe(30);
    expect(retryAfterSeconds("soon")).toBeNull();
    expect([0, 1, 5, 60, 61, 150].map(waitText)).toEqual([
      "in a moment",
      "in 1 second",
      "in 5 seconds",
      "in a minute",
      "in 2 minutes",
      "in 3 minutes",
    ]);
  });
});

describe("the screens show failures in the users' words", () => {
  function alertOn(text: string | RegExp) {
    return screen.findByRole("alert").then((alert) => {
      expect(alert).toHaveTextContent(text);
      return alert;
    });
  }

  it("an ended session: log in again, back to this page; the header names no user", async () => {
    answer(200, errorBody("UNAUTHENTICATED", AUTHENTICATION_REQUIRED, ["payers"]));
    renderShell("/payers?type=DONOR");
    const alert = await alertOn("Your session has ended — log in again.");
    expect(alert.textContent).toBe("Your session has ended — log in again. Log in again");
    expect(within(alert).getByRole("link", { name: "Log in again" })).toHaveAttribute(
      "href",
      "/accounts/login/?next=%2Fapp%2Fpayers%3Ftype%3DDONOR",
    );
    expect(screen.queryByText(/Authentication required/)).toBeNull();
    expect(screen.queryByRole("button", { name: "Log out" })).toBeNull();
    expect(screen.queryByText("tester")).toBeNull();
    expect(screen.getByRole("banner")).toHaveTextContent("Not logged in Log in");
  });

  it("an unreachable server: say so and ask again with a button", async () => {
    const fetch = vi.fn(async () => Promise.reject(new TypeError("Failed to fetch")));
    vi.stubGlobal("fetch", fetch);
    renderShell("/payers");
    const alert = await alertOn(
      "The server cannot be reached. Check your network connection, then try again. Try again",
    );
    expect(within(alert).getByText("Failed to fetch")).not.toBeVisible(); // folded under Details
    expect(screen.getByRole("button", { name: "Log out" })).toBeInTheDocument();
    const asked = fetch.mock.calls.length;
    await userEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(fetch.mock.calls.length).toBe(asked + 1);
  });

  it("a refusal, a limit, bad input, a busy database, a bug and a proxy's page", async () => {
    const cases: [number, unknown, Record<string, string>, string][] = [
      [
        200,
        errorBody("FORBIDDEN", "Permission denied: you need 'payer.view_payer'.", ["payers"]),
        {},
        "You are not allowed to do this: it needs the permission “payer.view_payer”, which your administrator can give you.",
      ],
      [
        400,
        errorBody("LIMIT_EXCEEDED", "The query is estimated to return 40,000 objects, more than 30,000 (GRAPHQL_MAX_OBJECTS)."),
        {},
        "This asks for more than the server accepts at once. Ask for less (a shorter text, a narrower search) and try again.",
      ],
      [
        200,
        errorBody("BAD_USER_INPUT", "'after' is not a cursor of this order."),
        {},
        "The server could not accept this request. Reload the page and try again; if it happens again, tell your administrator. Reload the page",
      ],
      [
        503,
        errorBody("SERVICE_UNAVAILABLE", "The database is unavailable or busy; nothing was changed. Retry shortly."),
        { "Retry-After": "5" },
        "The server is busy; nothing was changed. Try again in 5 seconds. Try again",
      ],
      [
        502,
        "<html>Bad Gateway</html>",
        {},
        "The server is not available at the moment. Try again in a moment. Try again",
      ],
      [
        500,
        errorBody("INTERNAL_SERVER_ERROR", "Unexpected error."),
        {},
        "Something went wrong on the server. Try again; if it happens again, tell your administrator. Try again",
      ],
      [
        200,
        "<html>Sign in to the hotel Wi-Fi</html>",
        {},
        "The answer that came back is not the server's (a proxy or network sign-in page may be in the way). Reload the page; if it happens again, tell your administrator. Reload the page",
      ],
      [
        403,
        errorBody("FORBIDDEN", "CSRF check failed: send the csrftoken cookie's value in an X-CSRFToken header, or authenticate with a bearer token."),
        {},
        "Your session has changed (you logged in or out in another window) — reload the page. Reload the page",
      ],
    ];
    for (const [status, body, headers, text] of cases) {
      answer(status, body, headers);
      const { unmount } = renderShell("/payers");
      const alert = await screen.findByRole("alert");
      expect(alert.querySelector("p")?.textContent).toBe(text);
      // the server's words stay available, folded, for whoever helps the user
      expect(alert.querySelector("details")).not.toBeNull();
      unmount();
    }
  });

  it("what the user typed, refused: the cause in the text, no page to reload", async () => {
    answer(200, errorBody("BAD_USER_INPUT", TOO_LONG, ["payers"], { argument: "filter.search" }));
    renderShell("/payers");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(
      "The server did not accept what you entered (the search text has 201 characters; at most 200). Change it and try again.",
    );
    expect(within(alert).queryByRole("button")).toBeNull();
    expect(alert.querySelector("details")).toBeNull();
  });

  it("a change outside the user's districts: said so, not as a missing permission", async () => {
    answer(200, errorBody("FORBIDDEN", OUTSIDE, ["payers"], { reason: "OUTSIDE_DISTRICTS" }));
    renderShell("/payers");
    const alert = await screen.findByRole("alert");
    expect(alert.querySelector("p")?.textContent).toBe(
      "This is outside your districts: you may change only what lies in or below your districts, and put things only there.",
    );
    expect(alert).not.toHaveTextContent(/permission|administrator/);
    expect(within(alert).getByText(OUTSIDE)).not.toBeVisible(); // folded under Details
  });

  it("a change to a row someone changed since it was read: reload to see theirs", async () => {
    const stale = "The payer X changed since you read it.";
    answer(200, errorBody("BAD_USER_INPUT", stale, ["payers"], { reason: "STALE_VERSION" }));
    renderShell("/payers");
    const alert = await screen.findByRole("alert");
    expect(alert.querySelector("p")?.textContent).toBe(
      "Someone else changed this since you opened it; nothing was changed. Reload the page to see their change, then make yours again.",
    );
    expect(within(alert).queryByRole("button")).toBeNull(); // asking again, unchanged, would fail again
  });
});
