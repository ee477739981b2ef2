// One page of locations (the regions, or a location's children): never the whole level,
// so Cambodia's 14,000 villages stay fast.
import { Link } from "react-router-dom";
import type { LocationFilter } from "../../src/gql/graphql";
import { PagedNodes, usePagedGraphQL } from "../../src/shell/paging";
import { LocationListQuery } from "./operations";

export const CHILDREN_PAGE = 25;

export function LocationChildren({ title, filter }: { title: string; filter: LocationFilter }) {
  const paged = usePagedGraphQL(LocationListQuery, { filter }, CHILDREN_PAGE, (data) => data.locations);
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      <PagedNodes paged={paged} label={title} loading={paged.query.isPending}>
        {(nodes) =>
          nodes.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul className="children">
              {nodes.map((node) => (
                <li key={node.uuid}>
                  <Link to={`/locations/${node.uuid}`}>{node.name}</Link> ({node.code})
                </li>
              ))}
            </ul>
          )
        }
      </PagedNodes>
    </section>
  );
}
