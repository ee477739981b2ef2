// Entry of the shell: read what the server says (active modules, user, CSRF token),
// discover the module folders, render the active ones.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./shell/App";
import { readConfig, setConfig } from "./shell/config";
import { activeModules, type FrontendModule } from "./shell/registry";
import "./shell/shell.css";

const discovered = import.meta.glob<{ default: FrontendModule }>("../modules/*/index.tsx", {
  eager: true,
});
const config = readConfig();
setConfig(config);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App modules={activeModules(discovered, config.modules)} />
  </StrictMode>,
);
