// The shared store (zustand): events between modules that never import each other.
// The location module publishes "location selected" when a location's detail opens; the
// payer module's panel subscribes to it (as openIMIS' shared redux store does). The
// shell notes there when a request finds the session ended (graphql.ts): the header
// then offers to log in again instead of naming the user.
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
  /** A request was answered as anonymous: the user is no longer logged in. */
  sessionEnded: boolean;
  endSession: () => void;
}

export const useShellStore = create<ShellState>()((set) => ({
  selectedLocation: null,
  selectLocation: (location) => set({ selectedLocation: location }),
  sessionEnded: false,
  endSession: () => set({ sessionEnded: true }),
}));
