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
import type { UserError } from "./ui";

/** HTTP statuses of a server or proxy that may answer if asked again. */
const TRANSIENT_STATUSES = new Set([502, 503, 504]);

/**
 * A request-level GraphQL error (the request failed as a whole), with every message.
 * `retryable`: asking again may succeed (the database was busy: SERVICE_UNAVAILABLE, or
 * a 502/503/504 from the server or a proxy); bad input, permissions and bugs are not.
 */
export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly retryable = false,
  ) {
    super(message);
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

function operationName<R, V>(document: TypedDocumentString<R, V>): string {
  return /(?:query|mutation)\s+(\w+)/.exec(document.toString())?.[1] ?? "anonymous";
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
  extensions?: { code?: string };
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

/**
 * Run `document` with `variables`; resolves to its `data` and the paths of the fields
 * the user may not see (the API answers them null with a FORBIDDEN error on their path;
 * the rest of the data is kept). Rejects with GraphQLRequestError carrying the server's
 * messages (each once) for an HTTP error, no data, or any other error in errors[].
 */
export async function requestPartial<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
): Promise<PartialResult<TResult>> {
  const config = getConfig();
  const response = await fetch(config.graphqlUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": config.csrfToken,
    },
    body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
  });
  const transient = TRANSIENT_STATUSES.has(response.status);
  let body: { data?: TResult | null; errors?: GraphQLError[] };
  try {
    body = await response.json();
  } catch {
    throw new GraphQLRequestError(
      `The server answered ${[response.status, response.statusText].join(" ").trim()}.`,
      transient,
    );
  }
  const errors = body.errors ?? [];
  const hasData = body.data !== undefined && body.data !== null;
  if (errors.length && !(response.ok && hasData && onlyHiddenFields(errors))) {
    const busy = errors.some((error) => error.extensions?.code === "SERVICE_UNAVAILABLE");
    // one message per kind: a field refused on each of 100 rows says it once
    throw new GraphQLRequestError(
      [...new Set(errors.map((error) => error.message))].join(" "),
      transient || busy,
    );
  }
  if (!response.ok || !hasData) {
    throw new GraphQLRequestError(`The server answered ${response.status} without data.`, transient);
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
 * onDone(uuid of the saved object, or null) runs only when there were none.
 */
export function useFormMutation<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  pick: (data: TResult) => Payload,
  onDone: (uuid: string | null) => void,
) {
  const mutation = useGraphQLMutation(document);
  const [errors, setErrors] = useState<UserError[]>([]);
  const submit = (variables: TVariables) =>
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
  return { submit, errors, pending: mutation.isPending, failure: mutation.error };
}
