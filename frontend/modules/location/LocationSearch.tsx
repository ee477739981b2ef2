// Search locations by code or name; each result shows its parent chain.
import { useDeferredValue, useState } from "react";
import { Link } from "react-router-dom";
import { useGraphQL } from "../../src/shell/graphql";
import { ErrorMessage, Loading, Pager, Table, useCursorPager } from "../../src/shell/ui";
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
              <Table
                label="Search results"
                rows={connection.edges.map((edge) => edge.node)}
                columns={[
                  { header: "Name", cell: (node) => <Link to={`/locations/${node.uuid}`}>{node.name}</Link> },
                  { header: "Code", cell: (node) => node.code },
                  { header: "Level", cell: (node) => LEVEL_LABEL[node.type] },
                  { header: "In", cell: (node) => chainText(node.parent) },
                ]}
              />
              <Pager
                label="Search results"
                pager={pager}
                connection={connection}
                pageSize={PAGE}
              />
            </>
          )}
        </>
      )}
    </section>
  );
}
