// Forward cursor paging of a connection, as every module's lists page: the cursors
// visited, the query for one page, and the page shown with its Previous / Next.
import { useState, type ReactNode } from "react";
import type { TypedDocumentString } from "../gql/graphql";
import { useGraphQL, type GraphQLQueryResult } from "./graphql";
import { ErrorMessage, Loading, Table, type Column } from "./ui";

export interface PageInfo {
  hasNextPage: boolean;
  endCursor?: string | null;
}

/** A Relay connection as the API returns it: its total, paging and nodes. */
export interface Connection<TNode> {
  totalCount?: number | null;
  pageInfo: PageInfo;
  edges: readonly { node: TNode }[];
}

/**
 * Forward cursor paging: `after` for the current page; next() moves on from a page's
 * endCursor, previous() goes back (the cursors already visited are kept).
 */
export function useCursorPager() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1];
  return {
    after,
    page: cursors.length,
    next: (endCursor: string) => setCursors((list) => [...list, endCursor]),
    previous: () => setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list)),
    reset: () => setCursors([null]),
  };
}

/** One page of a connection query, as usePagedGraphQL returns it. */
export interface PagedQuery<TNode, TResult = unknown> {
  /** The query (its `forbidden`: the response paths hidden from the user). */
  query: GraphQLQueryResult<TResult>;
  pager: ReturnType<typeof useCursorPager>;
  pageSize: number;
  connection: Connection<TNode> | undefined;
}

/**
 * One page of a connection query: runs `document` with `variables` plus `first: pageSize`
 * and the pager's `after`. Returns the query, its pager (reset() it when `variables`
 * change), the page size and the connection `pick(data)` takes from the result (undefined
 * until there is one).
 */
export function usePagedGraphQL<TResult, TVariables, TNode>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: NoInfer<Omit<TVariables, "first" | "after">>,
  pageSize: number,
  pick: (data: TResult) => Connection<TNode>,
  options: { enabled?: boolean } = {},
): PagedQuery<TNode, TResult> {
  const pager = useCursorPager();
  // the document's variables are these plus first and after, which TypeScript cannot join
  const all = { ...variables, first: pageSize, after: pager.after } as TVariables;
  const query = useGraphQL(document, all, options);
  return { query, pager, pageSize, connection: query.data ? pick(query.data) : undefined };
}

/** Previous / next buttons and "first–last of total" for one page of `connection`. */
export function Pager({
  label,
  pager,
  connection,
  pageSize,
}: {
  label: string;
  pager: ReturnType<typeof useCursorPager>;
  connection: { pageInfo: PageInfo; totalCount?: number | null };
  pageSize: number;
}) {
  const { pageInfo, totalCount } = connection;
  const first = (pager.page - 1) * pageSize + 1;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={pager.previous} disabled={pager.page === 1}>
        Previous
      </button>
      <span>
        {totalCount ? `${first}–${Math.min(first + pageSize - 1, totalCount)} of ${totalCount}` : "none"}
      </span>
      <button
        type="button"
        onClick={() => pageInfo?.endCursor && pager.next(pageInfo.endCursor)}
        disabled={!pageInfo?.hasNextPage}
      >
        Next
      </button>
    </nav>
  );
}

/**
 * The page of `paged` named `label`: "Loading {label}…" while `loading` (by default
 * while any request for it runs), the query's error, then `children(nodes)` with the
 * Pager (labelled `label`) under them. `empty`, when given, stands instead of both for a
 * page without nodes.
 */
export function PagedNodes<TNode>({
  paged,
  label,
  loading,
  empty,
  children,
}: {
  paged: PagedQuery<TNode>;
  label: string;
  loading?: boolean;
  empty?: ReactNode;
  children: (nodes: TNode[]) => ReactNode;
}) {
  const { connection, pager, pageSize } = paged;
  return (
    <>
      {(loading ?? paged.query.isFetching) && <Loading what={label.toLowerCase()} />}
      <ErrorMessage error={paged.query.error} />
      {connection &&
        (empty !== undefined && connection.edges.length === 0 ? (
          empty
        ) : (
          <>
            {children(connection.edges.map((edge) => edge.node))}
            <Pager label={label} pager={pager} connection={connection} pageSize={pageSize} />
          </>
        ))}
    </>
  );
}

/** PagedNodes whose nodes show as a Table of `columns`, named `label` like its pager. */
export function PagedTable<TNode extends { uuid: string }>({
  columns,
  ...props
}: Omit<Parameters<typeof PagedNodes<TNode>>[0], "children" | "empty"> & { columns: Column<TNode>[] }) {
  return <PagedNodes {...props}>{(nodes) => <Table label={props.label} rows={nodes} columns={columns} />}</PagedNodes>;
}
