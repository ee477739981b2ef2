// GraphQL fragments every module's documents may spread: the mutation payloads'
// `errors` (UserError), shown on their fields by the shell's Field, and a connection's
// `pageInfo`, what the shell's Pager reads (with the connection's totalCount).
import { graphql } from "../gql";

export const UserErrorFields = graphql(`
  fragment UserErrorFields on UserError {
    field
    code
    message
  }
`);

export const PageInfoFields = graphql(`
  fragment PageInfoFields on PageInfo {
    hasNextPage
    endCursor
  }
`);
