// The payer module's panel in the location detail ("location.detail.panels"): the payers
// at the location selected in the shared store, or anywhere below it. It reacts to the
// store's location-selected event; it never imports the location module.
import { Link } from "react-router-dom";
import { PagedNodes, usePagedGraphQL } from "../../src/shell/paging";
import { useShellStore } from "../../src/shell/store";
import { PayerListQuery } from "./operations";
import { PAYER_TYPES } from "./types";

const PAGE = 10;

export function LocationPayersPanel() {
  const selected = useShellStore((state) => state.selectedLocation);
  if (!selected) return null;
  return <Panel key={selected.uuid} uuid={selected.uuid} name={selected.name} />;
}

function Panel({ uuid, name }: { uuid: string; name: string }) {
  const paged = usePagedGraphQL(PayerListQuery, { filter: { location: uuid } }, PAGE, (data) => data.payers);
  return (
    <section className="panel" aria-labelledby="location-payers">
      <h2 id="location-payers">Payers of {name}</h2>
      <PagedNodes
        paged={paged}
        label="Payers"
        loading={paged.query.isPending}
        empty={<p>No payers here or below.</p>}
      >
        {(nodes) => (
          <ul aria-label={`Payers of ${name}`}>
            {nodes.map((node) => (
              <li key={node.uuid}>
                <Link to={`/payers/${node.uuid}`}>{node.name}</Link> ({PAYER_TYPES[node.type]}
                {node.location && node.location.uuid !== uuid ? `, ${node.location.name}` : ""})
              </li>
            ))}
          </ul>
        )}
      </PagedNodes>
    </section>
  );
}
