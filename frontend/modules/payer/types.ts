import type { PayerType } from "../../src/gql/graphql";

export const PAYER_TYPES: Record<PayerType, string> = {
  COOPERATIVE: "Co-operative",
  DONOR: "Donor",
  GOVERNMENT: "Government",
  LOCAL_AUTHORITY: "Local authority",
  OTHER: "Other",
  PRIVATE_ORGANIZATION: "Private organization",
};
