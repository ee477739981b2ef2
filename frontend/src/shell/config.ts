// What the server tells the shell (backend/web.py renders it into the page as JSON in
// <script id="openimis-config">): the active modules, in OPENIMIS_MODULES order, the
// user, the CSRF token for the session, the URLs the shell links to, and the API's limits
// the inputs keep to (a search box takes no more than a filter accepts).

export interface ShellConfig {
  /** Labels of the active backend modules; a frontend module folder has the same name. */
  modules: string[];
  graphqlUrl: string;
  graphiqlUrl: string;
  logoutUrl: string;
  /** The login page; its `next` parameter leads back (failures.ts, loginAgainUrl). */
  loginUrl: string;
  csrfToken: string;
  /** The API's limits the forms keep to. `filterText`: a filter's text, at most (characters). */
  limits: { filterText: number };
  user: { username: string; permissions: string[] };
}

let current: ShellConfig | null = null;

/** Parse the config the server rendered into the page; throws naming the element when absent. */
export function readConfig(doc: Document = document): ShellConfig {
  const element = doc.getElementById("openimis-config");
  if (!element?.textContent) {
    throw new Error("The page has no <script id=\"openimis-config\">: open it through the server.");
  }
  return JSON.parse(element.textContent) as ShellConfig;
}

export function setConfig(config: ShellConfig): void {
  current = config;
}

export function getConfig(): ShellConfig {
  if (current === null) throw new Error("The shell config is not set (setConfig).");
  return current;
}

/** Whether the user holds a Django permission such as "location.add_location". */
export function can(permission: string): boolean {
  return getConfig().user.permissions.includes(permission);
}
