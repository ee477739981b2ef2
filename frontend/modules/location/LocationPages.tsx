// The location screens: the regions (drill-down starts here) with search, and one
// location's detail: parent chain, facts, children (paged), the panels other modules
// contribute ("location.detail.panels"), history, and the changes the user may make to
// this row (the API's viewerCan* fields: permissions, the upper-levels right and district
// rights; the region above a user's district offers none).
import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { can } from "../../src/shell/config";
import { useGraphQL } from "../../src/shell/graphql";
import { ContributionPoint } from "../../src/shell/registry";
import { useShellStore } from "../../src/shell/store";
import {
  ActionButtons,
  ErrorMessage,
  Facts,
  HistorySection,
  Loading,
  NotFound,
  RecordRoute,
} from "../../src/shell/ui";
import { LocationChildren } from "./LocationChildren";
import {
  CreateLocationForm,
  DeleteLocationForm,
  MoveLocationForm,
  RenameLocationForm,
} from "./LocationForms";
import { LocationSearch } from "./LocationSearch";
import { LEVEL_LABEL, LEVEL_PLURAL, childLevel, parentLevel } from "./levels";
import { LocationDetailQuery } from "./operations";

/**
 * Whether the user may create a region: location.add_location, the upper levels' right,
 * and no district to keep to (a region is outside every district: location.all_districts,
 * which a superuser's permissions hold too). No row tells this: it is the session's.
 */
function mayCreateRegions(): boolean {
  return ["location.add_location", "location.manage_upper_levels", "location.all_districts"].every(can);
}

export function LocationsPage() {
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  const selectLocation = useShellStore((state) => state.selectLocation);
  useEffect(() => selectLocation(null), [selectLocation]);
  return (
    <>
      <h1>Locations</h1>
      <LocationSearch />
      {mayCreateRegions() && !creating && (
        <div className="actions">
          <button type="button" onClick={() => setCreating(true)}>
            New region
          </button>
        </div>
      )}
      {creating && (
        <CreateLocationForm
          type="REGION"
          parent={null}
          onDone={(uuid) => navigate(`/locations/${uuid}`)}
          onCancel={() => setCreating(false)}
        />
      )}
      <LocationChildren title="Regions" filter={{ type: "REGION" }} />
    </>
  );
}

type Action = "rename" | "move" | "delete" | "create" | null;

export function LocationDetailPage() {
  return <RecordRoute what="location" render={(uuid) => <LocationDetail key={uuid} uuid={uuid} />} />;
}

function LocationDetail({ uuid }: { uuid: string }) {
  const navigate = useNavigate();
  const [action, setAction] = useState<Action>(null);
  const query = useGraphQL(LocationDetailQuery, { uuid });
  const location = query.data?.location;
  const selectLocation = useShellStore((state) => state.selectLocation);
  useEffect(() => {
    if (location && !location.validityTo) {
      selectLocation({ uuid: location.uuid, code: location.code, name: location.name, type: location.type });
    }
  }, [location, selectLocation]);

  if (query.isPending) return <Loading what="the location" />;
  if (query.error) return <ErrorMessage error={query.error} />;
  if (!location) return <NotFound what="location" uuid={uuid} />;

  // the parent chain, region first (the query asks three levels up: a village's region)
  type Ancestor = { uuid: string; name: string; parent?: Ancestor | null };
  const chain: Ancestor[] = [];
  for (let node: Ancestor | null | undefined = location.parent; node; node = node.parent) {
    chain.unshift(node);
  }
  const below = childLevel(location.type);
  const above = parentLevel(location.type);
  const current = !location.validityTo;
  const done = () => {
    setAction(null);
  };
  return (
    <article>
      <nav className="breadcrumb" aria-label="Parent chain">
        <ol>
          <li>
            <Link to="/locations">Locations</Link>
          </li>
          {chain.map((node) => (
            <li key={node.uuid}>
              <Link to={`/locations/${node.uuid}`}>{node.name}</Link>
            </li>
          ))}
          <li aria-current="page">{location.name}</li>
        </ol>
      </nav>
      <h1>
        {location.name} <small>({LEVEL_LABEL[location.type]} {location.code})</small>
      </h1>
      {query.isFetching && <Loading what="changes" />}
      <Facts
        row={location}
        facts={[
          ["Code", location.code],
          ["Level", LEVEL_LABEL[location.type]],
          [
            "Population (male / female / other)",
            `${location.malePopulation ?? "–"} / ${location.femalePopulation ?? "–"} / ${location.otherPopulation ?? "–"}`,
          ],
          ["Families", location.families],
        ]}
      />
      {current && (
        <ActionButtons
          actions={[
            { label: "Rename", allowed: location.viewerCanChange, onClick: () => setAction("rename") },
            { label: "Move", allowed: location.viewerCanChange && above !== null, onClick: () => setAction("move") },
            {
              label: `New ${below ? LEVEL_LABEL[below].toLowerCase() : ""}`,
              allowed: location.viewerCanAddChild && below !== null,
              onClick: () => setAction("create"),
            },
            { label: "Delete", allowed: location.viewerCanDelete, onClick: () => setAction("delete") },
          ]}
        />
      )}
      {action === "rename" && <RenameLocationForm location={location} onDone={done} onCancel={done} />}
      {action === "move" && above && (
        <MoveLocationForm location={location} parentType={above} onDone={done} onCancel={done} />
      )}
      {action === "create" && below && (
        <CreateLocationForm
          type={below}
          parent={location.uuid}
          onDone={(created) => navigate(`/locations/${created}`)}
          onCancel={done}
        />
      )}
      {action === "delete" && (
        <DeleteLocationForm
          location={location}
          onDone={() => navigate(chain.length ? `/locations/${chain[chain.length - 1].uuid}` : "/locations")}
          onCancel={done}
        />
      )}
      {below && current && (
        <LocationChildren title={LEVEL_PLURAL[below]} filter={{ parent: location.uuid }} />
      )}
      {current && <ContributionPoint name="location.detail.panels" />}
      <HistorySection
        rows={location.history}
        columns={[
          { header: "Code", cell: (version) => version.code },
          { header: "Name", cell: (version) => version.name },
          { header: "Level", cell: (version) => LEVEL_LABEL[version.type] },
        ]}
      />
    </article>
  );
}
