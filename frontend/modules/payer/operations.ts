// The payer module's GraphQL operations, typed by graphql-codegen (src/gql).
import { graphql } from "../../src/gql";

export const PayerListQuery = graphql(`
  query PayerList($filter: PayerFilter, $first: Int, $after: String) {
    payers(filter: $filter, first: $first, after: $after, orderBy: [{ field: NAME }]) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          uuid
          name
          type
          phone
          email
          location {
            uuid
            code
            name
            type
          }
        }
      }
    }
  }
`);

export const PayerDetailQuery = graphql(`
  query PayerDetail($uuid: UUID!) {
    payer(uuid: $uuid) {
      uuid
      name
      type
      address
      phone
      fax
      email
      validityFrom
      validityTo
      location {
        uuid
        code
        name
        type
      }
      history {
        uuid
        name
        type
        address
        phone
        fax
        email
        validityFrom
        validityTo
      }
    }
  }
`);

export const CreatePayerMutation = graphql(`
  mutation CreatePayer($input: CreatePayerInput!) {
    createPayer(input: $input) {
      payer {
        uuid
      }
      errors {
        ...UserErrorFields
      }
    }
  }
`);

export const UpdatePayerMutation = graphql(`
  mutation UpdatePayer($input: UpdatePayerInput!) {
    updatePayer(input: $input) {
      payer {
        uuid
      }
      errors {
        ...UserErrorFields
      }
    }
  }
`);

export const DeletePayerMutation = graphql(`
  mutation DeletePayer($input: DeletePayerInput!) {
    deletePayer(input: $input) {
      payer {
        uuid
      }
      errors {
        ...UserErrorFields
      }
    }
  }
`);
