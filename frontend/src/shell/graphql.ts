// GraphQL over the session: POST to the server's /graphql with the CSRF token, typed by
// the documents graphql-codegen generates from ../schema.graphql (src/gql).
import {
  keepPreviousData,
  useMutation,
  useQuery,
  useQueryClient,
  type UseQueryResult,
} from "@tanstack/react-query";
import { useState } from "react";
import type { TypedDocumentString } from "../gql/graphql";
import { getConfig } from "./config";
import {
  kindOfError,
  kindOfStatus,
  retryAfterSeconds,
  strongestKind,
  type ErrorExtensions,
  type FailureFacts,
  type FailureKind,
} from "./failures";
import { useShellStore } from "./store";
import type { UserError } from "./ui";

/** HTTP statuses of a server or proxy that may answer if asked again. */
const TRANSIENT_STATUSES = new Set([502, 503, 504]);

/**
 * A request-level GraphQL error (the request failed as a whole). `message` holds the
 * server's messages, each once (or the browser's, when no answer came): for developers
 * and support. `failure` says what went wrong in the users' terms (its kind, Retry-After,
 * the same messages as details): ErrorMessage shows its text (failures.ts).
 * `retryable`: asking again may succeed (no answer, the database was busy:
 * SERVICE_UNAVAILABLE, or a 502/503/504 from the server or a proxy); bad input,
 * permissions and bugs are not.
 */
export class GraphQLRequestError extends Error {
  readonly failure: FailureFacts;

  constructor(
    message: string,
    readonly retryable = false,
    failure?: Omit<FailureFacts, "details">,
    /** "query" or "mutation": a failed read may be asked again by a button. */
    readonly operation: "query" | "mutation" = "query",
  ) {
    super(message);
    this.failure = { kind: "server-error", ...failure, details: message };
  }
}

/**
 * React Query's `retry` for reads: up to 3 more attempts when the failure is transient
 * (no answer at all, or a retryable GraphQLRequestError), none otherwise.
 */
export function retryTransient(failureCount: number, error: Error): boolean {
  const transient = error instanceof GraphQLRequestError ? error.retryable : true;
  return transient && failureCount < 3;
}

/** The longest wait between two attempts of a read, in ms: the user sees "Loading…" meanwhile. */
const MAX_RETRY_DELAY = 10_000;

/**
 * React Query's `retryDelay` for reads: the server's Retry-After when it said one (at
 * most 10 s), else React Query's own 1 s, 2 s, 4 s …
 */
export function retryDelay(failureCount: number, error: Error): number {
  const retryAfter = error instanceof GraphQLRequestError ? error.failure.retryAfter : null;
  const delay = retryAfter != null ? retryAfter * 1000 : 1000 * 2 ** failureCount;
  return Math.min(delay, MAX_RETRY_DELAY);
}

function operationName<R, V>(document: TypedDocumentString<R, V>): string {
  return /(?:query|mutation)\s+(\w+)/.exec(document.toString())?.[1] ?? "anonymous";
}

function operationType<R, V>(document: TypedDocumentString<R, V>): "query" | "mutation" {
  return /^\s*mutation\b/.test(document.toString()) ? "mutation" : "query";
}

/** Where a field sits in a result: its response path, e.g. ["payers", "edges", 0, "node", "location"]. */
export type FieldPath = readonly (string | number)[];

/** A result's data with the paths of the fields the user may not see (null in `data`). */
export interface PartialResult<TResult> {
  data: TResult;
  forbidden: FieldPath[];
}

interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: ErrorExtensions;
}

/**
 * Whether `errors` only say that fields below the root are hidden from the user
 * (FORBIDDEN with a path of two or more keys): the rest of the data stands. A refused root
 * field (its whole answer) or any other error fails the request.
 */
function onlyHiddenFields(errors: GraphQLError[]): boolean {
  return errors.every(
    (error) => error.extensions?.code === "FORBIDDEN" && (error.path?.length ?? 0) >= 2,
  );
}

/** The kind of a failed answer with GraphQL `errors` and HTTP `status` (see failures.ts). */
function kindOfErrors(errors: GraphQLError[], status: number): FailureKind {
  const kinds = errors.map((error) => kindOfError(error.extensions));
  if (status === 401) kinds.push("session-ended");
  // a refused CSRF check is the only FORBIDDEN answered 403 (permissions answer 200)
  if (status === 403) kinds.push("session-changed");
  return strongestKind(kinds);
}

/** The kind of an answer that is not the API's JSON: by its status (a 200 is someone else's page). */
function kindOfForeignAnswer(status: number): FailureKind {
  if (status === 403 || (status >= 200 && status < 300)) return "unreadable";
  const kind = kindOfStatus(status);
  return kind === "invalid" ? "unreadable" : kind;
}

/** Whether `response` came, through redirects, from the login page (the session ended). */
function fromLoginPage(response: Response, loginUrl: string | undefined): boolean {
  if (!response.redirected || !loginUrl || !response.url) return false;
  return new URL(response.url).pathname === new URL(loginUrl, response.url).pathname;
}

/**
 * The error for a failed request: GraphQLRequestError with `message` and the failure's
 * facts. A session found ended is noted in the shared store (the header stops showing
 * the user as logged in).
 */
function failed(
  message: string,
  retryable: boolean,
  failure: Omit<FailureFacts, "details">,
  operation: "query" | "mutation",
): GraphQLRequestError {
  if (failure.kind === "session-ended") useShellStore.getState().endSession();
  return new GraphQLRequestError(message, retryable, failure, operation);
}

/**
 * Run `document` with `variables`; resolves to its `data` and the paths of the fields
 * the user may not see (the API answers them null with a FORBIDDEN error on their path;
 * the rest of the data is kept). Rejects with GraphQLRequestError carrying the server's
 * messages (each once) and what they mean for the user (failures.ts) for no answer at
 * all, an HTTP error, an answer that is not JSON, no data, or any other error in errors[].
 */
export async function requestPartial<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
): Promise<PartialResult<TResult>> {
  const config = getConfig();
  const operation = operationType(document);
  let response: Response;
  try {
    response = await fetch(config.graphqlUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": config.csrfToken,
      },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
    });
  } catch (error) {
    // the browser's own words ("Failed to fetch", "NetworkError when …"): no answer came
    const message = error instanceof Error ? error.message : String(error);
    throw failed(message, true, { kind: "unreachable" }, operation);
  }
  const transient = TRANSIENT_STATUSES.has(response.status);
  const retryAfter = retryAfterSeconds(response.headers.get("Retry-After"));
  if (fromLoginPage(response, config.loginUrl)) {
    throw failed("The request was redirected to the login page.", false, { kind: "session-ended" }, operation);
  }
  let body: { data?: TResult | null; errors?: GraphQLError[] };
  try {
    body = await response.json();
  } catch {
    throw failed(
      `The server answered ${[response.status, response.statusText].join(" ").trim()}.`,
      transient,
      { kind: kindOfForeignAnswer(response.status), retryAfter },
      operation,
    );
  }
  const errors = body.errors ?? [];
  const hasData = body.data !== undefined && body.data !== null;
  if (errors.length && !(response.ok && hasData && onlyHiddenFields(errors))) {
    const busy = errors.some((error) => error.extensions?.code === "SERVICE_UNAVAILABLE");
    // one message per kind: a field refused on each of 100 rows says it once
    throw failed(
      [...new Set(errors.map((error) => error.message))].join(" "),
      transient || busy,
      {
        kind: kindOfErrors(errors, response.status),
        retryAfter,
        nothingChanged: busy,
        argument: errors.find((error) => error.extensions?.argument)?.extensions?.argument,
      },
      operation,
    );
  }
  if (!response.ok || !hasData) {
    throw failed(
      `The server answered ${response.status} without data.`,
      transient,
      { kind: response.ok ? "unreadable" : kindOfStatus(response.status), retryAfter },
      operation,
    );
  }
  return { data: body.data as TResult, forbidden: errors.map((error) => error.path ?? []) };
}

/** requestPartial's data alone (fields hidden from the user are null in it). */
export async function request<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
): Promise<TResult> {
  return (await requestPartial(document, variables)).data;
}

/** Whether `path` (dotted, e.g. "payer.location") is among the `forbidden` paths. */
export function isForbidden(forbidden: readonly FieldPath[], path: string): boolean {
  return forbidden.some((field) => field.join(".") === path);
}

/** What useGraphQL returns: the query with its data, and the paths hidden from the user. */
export type GraphQLQueryResult<TResult> = UseQueryResult<TResult, Error> & {
  /** Response paths of the fields the user may not see (null in `data`); see requestPartial. */
  forbidden: FieldPath[];
};

const NONE: FieldPath[] = [];

/** useQuery for a typed document; the previous page stays shown while the next loads. */
export function useGraphQL<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: { enabled?: boolean } = {},
): GraphQLQueryResult<TResult> {
  const query = useQuery({
    queryKey: [operationName(document), variables],
    queryFn: () => requestPartial(document, variables),
    placeholderData: keepPreviousData,
    enabled: options.enabled ?? true,
  });
  return {
    ...query,
    data: query.data?.data,
    forbidden: query.data?.forbidden ?? NONE,
  } as GraphQLQueryResult<TResult>;
}

/** useMutation for a typed document; every cached query is refetched after it succeeds. */
export function useGraphQLMutation<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (variables: TVariables) => request(document, variables),
    onSuccess: () => client.invalidateQueries(),
  });
}

/** What a mutation payload holds: the saved object's uuid, or why nothing was written. */
export type Payload = { errors: UserError[] } & Record<string, unknown>;

/**
 * A form's mutation: submit(variables) runs `document`; `pick` takes its payload from
 * the result. The payload's UserErrors are kept in `errors` (shown on their fields);
 * onDone(uuid of the saved object, or null) runs only when there were none. `errors`
 * belong to the submission that returned them: each submit drops them at once (a
 * submission that then fails as a request, e.g. STALE_VERSION, leaves none behind), and
 * `edited(field)` drops those naming `field` (the user changed it since; MutationForm's
 * fields call it).
 */
export function useFormMutation<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  pick: (data: TResult) => Payload,
  onDone: (uuid: string | null) => void,
) {
  const mutation = useGraphQLMutation(document);
  const [errors, setErrors] = useState<UserError[]>([]);
  const edited = (field: string) =>
    setErrors((shown) => (shown.some((error) => error.field === field) ? shown.filter((error) => error.field !== field) : shown));
  const submit = (variables: TVariables) => {
    setErrors([]);
    mutation.mutate(variables, {
      onSuccess: (data) => {
        const payload = pick(data);
        setErrors(payload.errors);
        const saved = Object.values(payload).find(
          (value): value is { uuid: string } =>
            typeof value === "object" && value !== null && "uuid" in value,
        );
        if (payload.errors.length === 0) onDone(saved?.uuid ?? null);
      },
    });
  };
  return { submit, errors, edited, pending: mutation.isPending, failure: mutation.error };
}

/**
 * The version of a row a form was opened on, as a write's input field: the server refuses
 * the write (STALE_VERSION) when someone changed the row since, instead of overwriting
 * their change (README "Writing the version you read"). The string as served; nothing
 * when the row was read without it.
 */
export function readVersion(row: { validityFrom?: string | null }): { expectedValidityFrom?: string } {
  return row.validityFrom ? { expectedValidityFrom: row.validityFrom } : {};
}
