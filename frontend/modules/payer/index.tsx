// The payer module's contributions to the shell, including its panel in the location
// detail (a named contribution point the location module renders), shown only to users
// who may view payers.
import { defineModule } from "../../src/shell/registry";
import { LocationPayersPanel } from "./LocationPayersPanel";
import { NewPayerPage, PayerDetailPage, PayerListPage } from "./PayerPages";

export default defineModule({
  label: "payer",
  menu: [
    {
      path: "/payers",
      label: "Payers",
      permission: "payer.view_payer",
      element: <PayerListPage />,
    },
  ],
  routes: [
    { path: "payers/new", element: <NewPayerPage /> },
    { path: "payers/:uuid", element: <PayerDetailPage /> },
  ],
  contributions: {
    "location.detail.panels": [{ component: LocationPayersPanel, permission: "payer.view_payer" }],
  },
});
