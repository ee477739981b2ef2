// GraphiQL, built from the pinned npm package and served from the server's own static
// files (no CDN). It uses the session and sends Django's CSRF token, like the shell.
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "graphiql/style.css";
import "./graphiql.css";
import { readConfig } from "../shell/config";

const config = readConfig();
const fetcher = createGraphiQLFetcher({
  url: config.graphqlUrl,
  headers: { "X-CSRFToken": config.csrfToken },
});

// The first thing a new user sees: a page of locations with their parent and payers.
const DEFAULT_QUERY = `# GraphiQL: the openIMIS API. Ctrl-Enter runs the query; the Docs panel lists the schema.
{
  locations(first: 5, filter: {type: DISTRICT}) {
    totalCount
    edges { node { code name parent { name } } }
  }
}
`;

createRoot(document.getElementById("graphiql")!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
);
