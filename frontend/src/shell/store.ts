// The shared store (zustand): events between modules that never import each other.
// The location module publishes "location selected" when a location's detail opens; the
// payer module's panel subscribes to it (as openIMIS' shared redux store does).
import { create } from "zustand";

export interface SelectedLocation {
  uuid: string;
  code: string;
  name: string;
  type: string;
}

interface ShellState {
  selectedLocation: SelectedLocation | null;
  selectLocation: (location: SelectedLocation | null) => void;
}

export const useShellStore = create<ShellState>()((set) => ({
  selectedLocation: null,
  selectLocation: (location) => set({ selectedLocation: location }),
}));
