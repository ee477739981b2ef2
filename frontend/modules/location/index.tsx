// The location module's contributions to the shell; its picker only for users who may
// view locations (it searches them).
import { defineModule } from "../../src/shell/registry";
import { LocationDetailPage, LocationsPage } from "./LocationPages";
import { LocationPicker } from "./LocationPicker";

export default defineModule({
  label: "location",
  menu: [
    {
      path: "/locations",
      label: "Locations",
      permission: "location.view_location",
      element: <LocationsPage />,
    },
  ],
  routes: [{ path: "locations/:uuid", element: <LocationDetailPage /> }],
  contributions: {
    "location.picker": [{ component: LocationPicker, permission: "location.view_location" }],
  },
});
