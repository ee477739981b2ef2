import { afterEach, describe, expect, it, vi } from "vitest";
import { TypedDocumentString } from "../gql/graphql";
import { request, requestPartial, retryDelay, retryTransient } from "./graphql";
import { setConfig } from "./config";
import { answerAll, requestFailure, testConfig } from "./testing";

// built by hand, not by graphql(): a test's document is no operation of the frontend
const Query = new TypedDocumentString<unknown, Record<string, never>>("query Probe { __typename }");

const answer = answerAll;
const failure = () => requestFailure(Query);

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("which failed reads are asked again", () => {
  it("does not retry bad input, a refusal or a bug", async () => {
    for (const code of ["BAD_USER_INPUT", "FORBIDDEN", "INTERNAL_SERVER_ERROR"]) {
      answer(200, { data: null, errors: [{ message: `a ${code}`, extensions: { code } }] });
      const error = await failure();
      expect(error.message).toBe(`a ${code}`);
      expect(retryTransient(0, error)).toBe(false);
    }
  });

  it("retries a busy database and a gateway's 502/503/504, three times", async () => {
    answer(503, { errors: [{ message: "busy", extensions: { code: "SERVICE_UNAVAILABLE" } }] });
    const busy = await failure();
    expect([0, 1, 2, 3].map((count) => retryTransient(count, busy))).toEqual([true, true, true, false]);
    answer(502, "<html>Bad Gateway</html>");
    const gateway = await failure();
    expect(gateway.message).toBe("The server answered 502.");
    expect(retryTransient(0, gateway)).toBe(true);
  });

  it("waits the server's Retry-After between attempts, else 1, 2, 4 s, at most 10 s", async () => {
    answer(503, { errors: [{ message: "busy", extensions: { code: "SERVICE_UNAVAILABLE" } }] }, { "Retry-After": "3" });
    const busy = await failure();
    expect([0, 1, 2].map((count) => retryDelay(count, busy))).toEqual([3000, 3000, 3000]);
    answer(503, { errors: [{ message: "busy", extensions: { code: "SERVICE_UNAVAILABLE" } }] }, { "Retry-After": "120" });
    expect(retryDelay(0, await failure())).toBe(10_000);
    const noAnswer = new TypeError("Failed to fetch");
    expect([0, 1, 2, 4].map((count) => retryDelay(count, noAnswer))).toEqual([1000, 2000, 4000, 10_000]);
  });

  it("retries when no answer came at all", () => {
    expect(retryTransient(0, new TypeError("Failed to fetch"))).toBe(true);
  });
});

describe("fields hidden from the user", () => {
  const hidden = (path: (string | number)[]) => ({
    message: "Permission denied: you need 'other.view'.",
    path,
    extensions: { code: "FORBIDDEN" },
  });

  it("keeps the data when every error is a FORBIDDEN field below the root, with their paths", async () => {
    setConfig(testConfig());
    const data = { payers: { edges: [{ node: { name: "A", location: null } }, { node: { name: "B", location: null } }] } };
    answer(200, { data, errors: [0, 1].map((index) => hidden(["payers", "edges", index, "node", "location"])) });
    expect(await requestPartial(Query)).toEqual({
      data,
      forbidden: [
        ["payers", "edges", 0, "node", "location"],
        ["payers", "edges", 1, "node", "location"],
      ],
    });
    answer(200, { data: { payer: { name: "A", location: null } }, errors: [hidden(["payer", "location"])] });
    expect(await request(Query)).toEqual({ payer: { name: "A", location: null } });
  });

  it("fails on another error beside them, a refused root field or no data, each message once", async () => {
    answer(200, {
      data: { payer: { location: null, history: null } },
      errors: [hidden(["payer", "location"]), { message: "a bug", path: ["payer", "history"], extensions: { code: "INTERNAL_SERVER_ERROR" } }],
    });
    expect((await failure()).message).toBe("Permission denied: you need 'other.view'. a bug");
    answer(200, { data: { payer: null }, errors: [hidden(["payer"])] });
    expect((await failure()).message).toBe("Permission denied: you need 'other.view'.");
    answer(200, { data: null, errors: [hidden(["payers", "edges", 0, "node", "location"]), hidden(["payers"])] });
    const refused = await failure();
    expect(refused.message).toBe("Permission denied: you need 'other.view'.");
    expect(retryTransient(0, refused)).toBe(false);
  });
});
