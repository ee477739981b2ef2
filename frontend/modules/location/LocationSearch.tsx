// Search locations by code or name; each result shows its parent chain.
import { useDeferredValue, useState } from "react";
import { Link } from "react-router-dom";
import { useGraphQL } from "../../src/shell/graphql";
import { ErrorMessage, Loading, Pager, useCursorPager } from "../../src/shell/ui";
import { LEVEL_LABEL, chainText } from "./levels";
import { LocationListQuery } from "./operations";

const PAGE = 20;

export function LocationSearch() {
  const [text, setText] = useState("");
  const search = useDeferredValue(text.trim());
  const pager = useCursorPager();
  const query = useGraphQL(
    LocationListQuery,
    { filter: { search }, first: PAGE, after: pager.after },
    { enabled: search.length > 0 },
  );
  const connection = query.data?.locations;
  return (
    <section aria-labelledby="location-search">
      <h2 id="location-search">Search</h2>
      <input
        type="search"
        aria-label="Search locations by code or name"
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          pager.reset();
        }}
      />
      {search.length > 0 && (
        <>
          {query.isFetching && <Loading what="search results" />}
          <ErrorMessage error={query.error} />
          {connection && (
            <>
              <table aria-label="Search results">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Code</th>
                    <th>Level</th>
                    <th>In</th>
                  </tr>
                </thead>
                <tbody>
                  {connection.edges.map(({ node }) => (
                    <tr key={node.uuid}>
                      <td>
                        <Link to={`/locations/${node.uuid}`}>{node.name}</Link>
                      </td>
                      <td>{node.code}</td>
                      <td>{LEVEL_LABEL[node.type]}</td>
                      <td>{chainText(node.parent)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager
                label="Search results"
                pager={pager}
                pageInfo={connection.pageInfo}
                totalCount={connection.totalCount}
                pageSize={PAGE}
              />
            </>
          )}
        </>
      )}
    </section>
  );
}
