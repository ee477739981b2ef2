// Test helpers for the modules' component tests (Vitest, jsdom): a fake /graphql that
// answers by operation name and records every request, the shell rendered at a path, and
// the texts of the elements of one role (a menu's links, a table's column headers).
import { QueryClient } from "@tanstack/react-query";
import { render, within, type ByRoleMatcher } from "@testing-library/react";
import { expect, vi } from "vitest";
import type { TypedDocumentString } from "../gql/graphql";
import { App, BASE_PATH } from "./App";
import { GraphQLRequestError, request } from "./graphql";
import { setConfig, type ShellConfig } from "./config";
import type { ErrorExtensions } from "./failures";
import { activeModules, type FrontendModule } from "./registry";
import { useShellStore } from "./store";

export interface GraphQLCall {
  operation: string;
  variables: Record<string, unknown>;
}

type Handler = (variables: Record<string, unknown>) => unknown;

/** A whole GraphQL response body a handler answers with (data and errors[]), not just data. */
export class GraphQLAnswer {
  constructor(
    readonly data: unknown,
    readonly errors: { message: string; path?: (string | number)[]; extensions?: ErrorExtensions }[],
  ) {}
}

/**
 * The error the API adds for a field the user may not see (its value null), as the
 * backend words it: `permission` named, FORBIDDEN, on the field's response `path`.
 */
export function forbiddenError(path: (string | number)[], permission: string) {
  return {
    message: `Permission denied: you need '${permission}'.`,
    path,
    extensions: { code: "FORBIDDEN" },
  };
}

/**
 * Replace fetch with a GraphQL server answering `handlers[operationName](variables)` as
 * `data` (a GraphQLAnswer as the whole body); an operation without a handler fails the
 * request. Returns the recorded calls.
 */
export function mockGraphQL(handlers: Record<string, Handler>): GraphQLCall[] {
  const calls: GraphQLCall[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body));
      const operation = /(?:query|mutation)\s+(\w+)/.exec(body.query)?.[1] ?? "";
      calls.push({ operation, variables: body.variables });
      const handler = handlers[operation];
      const answer = handler ? handler(body.variables) : undefined;
      const payload = !handler
        ? { errors: [{ message: `no handler for ${operation}` }] }
        : answer instanceof GraphQLAnswer
          ? { data: answer.data, errors: answer.errors }
          : { data: answer };
      return new Response(JSON.stringify(payload), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }),
  );
  return calls;
}

export const ALL_PERMISSIONS = [
  "location.add_location",
  "location.change_location",
  "location.delete_location",
  "location.view_location",
  "payer.add_payer",
  "payer.change_payer",
  "payer.delete_payer",
  "payer.view_payer",
];

export function testConfig(overrides: Partial<ShellConfig> = {}): ShellConfig {
  return {
    modules: ["location", "payer"],
    graphqlUrl: "/graphql",
    graphiqlUrl: "/graphql",
    logoutUrl: "/accounts/logout/",
    loginUrl: "/accounts/login/",
    csrfToken: "test-token",
    limits: { filterText: 200 },
    user: { username: "tester", permissions: ALL_PERMISSIONS },
    ...overrides,
  };
}

/** Every module folder, as the shell discovers them. */
export const discoveredModules = import.meta.glob<{ default: FrontendModule }>(
  "../../modules/*/index.tsx",
  { eager: true },
);

/** Render the shell with the `active` modules at `path` (below the shell's base). */
export function renderShell(
  path: string,
  active: string[] = ["location", "payer"],
  permissions: string[] = ALL_PERMISSIONS,
) {
  setConfig(testConfig({ modules: active, user: { username: "tester", permissions } }));
  useShellStore.setState({ selectedLocation: null, sessionEnded: false });
  window.history.pushState({}, "", `${BASE_PATH}${path}`);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<App modules={activeModules(discoveredModules, active)} client={client} />);
}

/** A connection of `nodes` as the API returns it. */
export function connection<T>(nodes: T[], { totalCount = nodes.length, hasNextPage = false } = {}) {
  return {
    totalCount,
    pageInfo: { hasNextPage, endCursor: nodes.length ? `cursor-${nodes.length}` : null },
    edges: nodes.map((node) => ({ node })),
  };
}

/** The text of each element with `role` inside `container`, in document order. */
export function textsByRole(container: HTMLElement, role: ByRoleMatcher): (string | null)[] {
  return within(container).getAllByRole(role).map((element) => element.textContent);
}

/** Replace fetch with a server answering every request with `status`, `body` (JSON unless a string) and `headers`. */
export function answerAll(status: number, body: unknown, headers: Record<string, string> = {}) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers })),
  );
}

/** The GraphQLRequestError `document` fails with (the test fails if it does not). */
export async function requestFailure<R, V>(document: TypedDocumentString<R, V>): Promise<GraphQLRequestError> {
  setConfig(testConfig());
  const error = await request(document).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(GraphQLRequestError);
  return error as GraphQLRequestError;
}
