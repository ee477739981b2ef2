// The shell: header with the active modules' menu entries, their routes, the user.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Link, NavLink, Route, Routes, useLocation } from "react-router-dom";
import { getConfig } from "./config";
import { loginAgainUrl } from "./failures";
import { retryDelay, retryTransient } from "./graphql";
import { moduleRoutes, ModulesProvider, useMenu, useModules, type FrontendModule } from "./registry";
import { useShellStore } from "./store";

/** Where the shell lives on the server; backend/urls.py routes every path below it. */
export const BASE_PATH = "/app";

function Home() {
  const entries = useMenu();
  return (
    <section>
      <h1>openIMIS</h1>
      <ul>
        {entries.map((entry) => (
          <li key={entry.path}>
            <Link to={entry.path}>{entry.label}</Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Layout() {
  const modules = useModules();
  const menu = useMenu();
  const config = getConfig();
  // a request found the session ended (graphql.ts): the page's user is gone
  const sessionEnded = useShellStore((state) => state.sessionEnded);
  useLocation(); // the login link's `next` follows the route (window.location: with the base)
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header>
        <nav aria-label="Main">
          <Link to="/" className="brand">
            openIMIS
          </Link>
          {menu.map((entry) => (
            <NavLink key={entry.path} to={entry.path}>
              {entry.label}
            </NavLink>
          ))}
          <a href={config.graphiqlUrl}>GraphiQL</a>
        </nav>
        {sessionEnded ? (
          <p className="user">
            <span>Not logged in</span> <a href={loginAgainUrl(config.loginUrl, window.location)}>Log in</a>
          </p>
        ) : (
          <form method="post" action={config.logoutUrl} className="user">
            <input type="hidden" name="csrfmiddlewaretoken" value={config.csrfToken} />
            <span>{config.user.username}</span> <button type="submit">Log out</button>
          </form>
        )}
      </header>
      <main id="main">
        <Routes>
          <Route index element={<Home />} />
          {modules.flatMap((module) =>
            moduleRoutes(module).map((route) => (
              <Route key={`${module.label}:${route.path}`} path={route.path} element={route.element} />
            )),
          )}
          <Route path="*" element={<p role="alert">No such page.</p>} />
        </Routes>
      </main>
    </>
  );
}

export function App({ modules, client }: { modules: FrontendModule[]; client?: QueryClient }) {
  return (
    <QueryClientProvider
      client={client ?? new QueryClient({ defaultOptions: { queries: { retry: retryTransient, retryDelay } } })}
    >
      <ModulesProvider value={modules}>
        <BrowserRouter basename={BASE_PATH}>
          <Layout />
        </BrowserRouter>
      </ModulesProvider>
    </QueryClientProvider>
  );
}
