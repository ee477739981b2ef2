// The payer module's panel in the location detail ("location.detail.panels"): the payers
// at the location selected in the shared store, or anywhere below it. It reacts to the
// store's location-selected event; it never imports the location module.
import { Link } from "react-router-dom";
import { useGraphQL } from "../../src/shell/graphql";
import { useShellStore } from "../../src/shell/store";
import { ErrorMessage, Loading, Pager, useCursorPager } from "../../src/shell/ui";
import { PayerListQuery } from "./operations";
import { PAYER_TYPES } from "./types";

const PAGE = 10;

export function LocationPayersPanel() {
  const selected = useShellStore((state) => state.selectedLocation);
  if (!selected) return null;
  return <Panel key={selected.uuid} uuid={selected.uuid} name={selected.name} />;
}

function Panel({ uuid, name }: { uuid: string; name: string }) {
  const pager = useCursorPager();
  const query = useGraphQL(PayerListQuery, { filter: { location: uuid }, first: PAGE, after: pager.after });
  const connection = query.data?.payers;
  return (
    <section className="panel" aria-labelledby="location-payers">
      <h2 id="location-payers">Payers of {name}</h2>
      {query.isPending && <Loading what="payers" />}
      <ErrorMessage error={query.error} />
      {connection &&
        (connection.edges.length === 0 ? (
          <p>No payers here or below.</p>
        ) : (
          <>
            <ul aria-label={`Payers of ${name}`}>
              {connection.edges.map(({ node }) => (
                <li key={node.uuid}>
                  <Link to={`/payers/${node.uuid}`}>{node.name}</Link> ({PAYER_TYPES[node.type]}
                  {node.location && node.location.uuid !== uuid ? `, ${node.location.name}` : ""})
                </li>
              ))}
            </ul>
            <Pager
              label="Payers"
              pager={pager}
              connection={connection}
              pageSize={PAGE}
            />
          </>
        ))}
    </section>
  );
}
