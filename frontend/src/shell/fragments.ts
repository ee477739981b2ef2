// GraphQL fragments every module's documents may spread: the mutation payloads'
// `errors` (UserError), shown on their fields by the shell's Field.
import { graphql } from "../gql";

export const UserErrorFields = graphql(`
  fragment UserErrorFields on UserError {
    field
    code
    message
  }
`);
