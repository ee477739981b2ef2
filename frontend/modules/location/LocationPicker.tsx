// Pick a current location by searching its code or name. Contributed to the shell's
// "location.picker" point, so other modules (payer) use it without importing this one.
import { useDeferredValue, useId, useState } from "react";
import type { LocationType } from "../../src/gql/graphql";
import { useGraphQL } from "../../src/shell/graphql";
import { ErrorMessage, Loading, SearchInput } from "../../src/shell/ui";
import { LEVEL_LABEL, chainText } from "./levels";
import { LocationListQuery } from "./operations";

export interface PickedLocation {
  uuid: string;
  code: string;
  name: string;
  type: LocationType;
}

export interface LocationPickerProps {
  /** Accessible label of the search box. */
  label: string;
  /** Levels offered; all when omitted. */
  types?: LocationType[];
  value: PickedLocation | null;
  onChange: (location: PickedLocation | null) => void;
  /** Props of the search input (id, aria-describedby, aria-invalid from a Field). */
  inputProps?: Record<string, unknown>;
}

export function LocationPicker({ label, types, value, onChange, inputProps }: LocationPickerProps) {
  const [text, setText] = useState("");
  const search = useDeferredValue(text.trim());
  const resultsId = useId();
  const oneType = types?.length === 1 ? types[0] : null;
  const query = useGraphQL(
    LocationListQuery,
    {
      filter: { search, ...(oneType ? { type: oneType } : {}) },
      first: 20,
      // TYPE sorts by level: regions first, so wanted upper levels come in the first page
      orderBy: [{ field: "TYPE" }, { field: "NAME" }],
    },
    { enabled: search.length > 0 },
  );
  const edges = (query.data?.locations.edges ?? []).filter(
    (edge) => !types || types.includes(edge.node.type),
  );
  return (
    <div className="picker">
      {value && (
        <p>
          Chosen: <strong>{value.name}</strong> ({value.code}, {LEVEL_LABEL[value.type]}){" "}
          <button type="button" onClick={() => onChange(null)}>
            Clear
          </button>
        </p>
      )}
      <SearchInput
        aria-label={label}
        aria-controls={resultsId}
        placeholder="Search code or name"
        value={text}
        onChange={setText}
        {...inputProps}
      />
      {search.length > 0 && query.isFetching && <Loading what="locations" />}
      <ErrorMessage error={query.error} />
      <ul id={resultsId} aria-label={`${label}: results`}>
        {search.length > 0 &&
          edges.map(({ node }) => (
            <li key={node.uuid}>
              <button
                type="button"
                onClick={() => {
                  onChange({ uuid: node.uuid, code: node.code, name: node.name, type: node.type });
                  setText("");
                }}
              >
                {node.name} ({node.code}, {LEVEL_LABEL[node.type]})
              </button>{" "}
              {chainText(node.parent)}
            </li>
          ))}
      </ul>
    </div>
  );
}
