import type { LocationType } from "../../src/gql/graphql";

export const LEVELS: LocationType[] = ["REGION", "DISTRICT", "MUNICIPALITY", "VILLAGE"];

export const LEVEL_LABEL: Record<LocationType, string> = {
  REGION: "Region",
  DISTRICT: "District",
  MUNICIPALITY: "Municipality",
  VILLAGE: "Village",
};

export const LEVEL_PLURAL: Record<LocationType, string> = {
  REGION: "Regions",
  DISTRICT: "Districts",
  MUNICIPALITY: "Municipalities",
  VILLAGE: "Villages",
};

/** The level one down from `type`, or null for a village. */
export function childLevel(type: LocationType): LocationType | null {
  return LEVELS[LEVELS.indexOf(type) + 1] ?? null;
}

/** The level one up from `type`, or null for a region. */
export function parentLevel(type: LocationType): LocationType | null {
  return LEVELS[LEVELS.indexOf(type) - 1] ?? null;
}

/** "District › Region" from a parent chain (nearest first), for search results. */
export function chainText(
  parent: { code: string; name: string; parent?: unknown } | null | undefined,
): string {
  const names: string[] = [];
  let node = parent as { name: string; parent?: unknown } | null | undefined;
  while (node) {
    names.push(node.name);
    node = node.parent as typeof node;
  }
  return names.join(" › ");
}
