// The module contract of the frontend: what one module contributes to the shell.
// A module is a folder modules/<label>/ whose index.tsx default-exports defineModule({...});
// the shell discovers the folders (import.meta.glob) and activates those the server names.
import { createContext, useContext, type ComponentType, type ReactElement } from "react";
import { can } from "./config";

export interface MenuEntry {
  /** Path below the shell's base, e.g. "/locations". */
  path: string;
  label: string;
  /** The permission (the module's own) the user needs to see the entry; none: everyone. */
  permission?: string;
  /** The page the entry opens, routed at its path (no separate route to declare). */
  element?: ReactElement;
}

export interface RouteEntry {
  /** react-router path, e.g. "locations/:uuid". */
  path: string;
  element: ReactElement;
}

/**
 * A component a module adds to a contribution point: the component alone, or with the
 * permission (the contributing module's own) the user needs for it to appear at all.
 */
export type Contribution =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | ComponentType<any>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | { component: ComponentType<any>; permission: string };

export interface FrontendModule {
  /** The backend module's label (location, payer); equal to the folder name. */
  label: string;
  menu?: MenuEntry[];
  routes?: RouteEntry[];
  /** Named contribution points -> components the module adds there. */
  contributions?: Record<string, Contribution[]>;
}

export function defineModule(module: FrontendModule): FrontendModule {
  return module;
}

/** Every route of a module: the pages of its menu entries, then its other routes. */
export function moduleRoutes(module: FrontendModule): RouteEntry[] {
  const pages = (module.menu ?? []).flatMap(({ path, element }) =>
    element ? [{ path: path.replace(/^\//, ""), element }] : [],
  );
  return [...pages, ...(module.routes ?? [])];
}

/**
 * The discovered modules the server lists as active, in the server's order.
 * `discovered`: import.meta.glob result keyed by ".../modules/<folder>/index.tsx".
 * Throws when a module's label differs from its folder, naming both.
 */
export function activeModules(
  discovered: Record<string, { default: FrontendModule }>,
  active: string[],
): FrontendModule[] {
  const byFolder = new Map<string, FrontendModule>();
  for (const [path, exported] of Object.entries(discovered)) {
    const folder = path.split("/").at(-2) ?? path;
    if (exported.default.label !== folder) {
      throw new Error(`Frontend module in folder ${folder} declares label ${exported.default.label}.`);
    }
    byFolder.set(folder, exported.default);
  }
  return active.flatMap((label) => {
    const module = byFolder.get(label);
    return module ? [module] : [];
  });
}

const ModulesContext = createContext<FrontendModule[]>([]);
export const ModulesProvider = ModulesContext.Provider;

export function useModules(): FrontendModule[] {
  return useContext(ModulesContext);
}

/**
 * Components the active modules contribute to the point `name`, in module order; one
 * declaring a permission the user lacks is left out.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function useContributions(name: string): ComponentType<any>[] {
  return useModules().flatMap((module) =>
    (module.contributions?.[name] ?? []).flatMap((entry) =>
      "component" in entry ? (permitted(entry.permission) ? [entry.component] : []) : [entry],
    ),
  );
}

/** Renders every component contributed to `name` with `props`; nothing when none is. */
export function ContributionPoint({ name, ...props }: { name: string } & Record<string, unknown>) {
  const contributions = useContributions(name);
  return (
    <>
      {contributions.map((Component, index) => (
        <Component key={index} {...props} />
      ))}
    </>
  );
}

/** The active modules' menu entries the user may see (those without a permission, and
 * those whose permission the user holds), in module order. */
export function useMenu(): MenuEntry[] {
  return useModules()
    .flatMap((module) => module.menu ?? [])
    .filter((entry) => permitted(entry.permission));
}

/** Whether the user may see what a module declared with `permission` (none: everyone). */
function permitted(permission: string | undefined): boolean {
  return permission === undefined || can(permission);
}
