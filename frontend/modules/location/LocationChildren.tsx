// One page of locations (the regions, or a location's children): never the whole level,
// so Cambodia's 14,000 villages stay fast.
import { Link } from "react-router-dom";
import type { LocationFilter } from "../../src/gql/graphql";
import { useGraphQL } from "../../src/shell/graphql";
import { ErrorMessage, Loading, Pager, useCursorPager } from "../../src/shell/ui";
import { LocationListQuery } from "./operations";

export const CHILDREN_PAGE = 25;

export function LocationChildren({ title, filter }: { title: string; filter: LocationFilter }) {
  const pager = useCursorPager();
  const query = useGraphQL(LocationListQuery, { filter, first: CHILDREN_PAGE, after: pager.after });
  const connection = query.data?.locations;
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {query.isPending && <Loading what={title.toLowerCase()} />}
      <ErrorMessage error={query.error} />
      {connection && (
        <>
          {connection.edges.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul className="children">
              {connection.edges.map(({ node }) => (
                <li key={node.uuid}>
                  <Link to={`/locations/${node.uuid}`}>{node.name}</Link> ({node.code})
                </li>
              ))}
            </ul>
          )}
          <Pager
            label={title}
            pager={pager}
            connection={connection}
            pageSize={CHILDREN_PAGE}
          />
        </>
      )}
    </section>
  );
}
