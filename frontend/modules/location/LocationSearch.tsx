// Search locations by code or name; each result shows its parent chain.
import { useDeferredValue, useState } from "react";
import { Link } from "react-router-dom";
import { PagedTable, usePagedGraphQL } from "../../src/shell/paging";
import { SearchInput } from "../../src/shell/ui";
import { LEVEL_LABEL, chainText } from "./levels";
import { LocationListQuery } from "./operations";

const PAGE = 20;

export function LocationSearch() {
  const [text, setText] = useState("");
  const search = useDeferredValue(text.trim());
  const paged = usePagedGraphQL(LocationListQuery, { filter: { search } }, PAGE, (data) => data.locations, {
    enabled: search.length > 0,
  });
  return (
    <section aria-labelledby="location-search">
      <h2 id="location-search">Search</h2>
      <SearchInput
        aria-label="Search locations by code or name"
        value={text}
        onChange={(value) => {
          setText(value);
          paged.pager.reset();
        }}
      />
      {search.length > 0 && (
        <PagedTable
          paged={paged}
          label="Search results"
          columns={[
            { header: "Name", cell: (node) => <Link to={`/locations/${node.uuid}`}>{node.name}</Link> },
            { header: "Code", cell: (node) => node.code },
            { header: "Level", cell: (node) => LEVEL_LABEL[node.type] },
            { header: "In", cell: (node) => chainText(node.parent) },
          ]}
        />
      )}
    </section>
  );
}
