// The payer module's GraphQL operations, typed by graphql-codegen (src/gql).
import { graphql } from "../../src/gql";

// A payer's region or district, as its list and its detail show it.
export const PayerLocationFields = graphql(`
  fragment PayerLocationFields on Location {
    uuid
    code
    name
    type
  }
`);

// What every payer mutation answers: the saved payer, or why nothing was written.
export const PayerPayloadFields = graphql(`
  fragment PayerPayloadFields on PayerPayload {
    payer {
      uuid
    }
    errors {
      ...UserErrorFields
    }
  }
`);

export const PayerListQuery = graphql(`
  query PayerList($filter: PayerFilter, $first: Int, $after: String) {
    payers(filter: $filter, first: $first, after: $after, orderBy: [{ field: NAME }]) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        node {
          uuid
          name
          type
          phone
          email
          location {
            ...PayerLocationFields
          }
        }
      }
    }
  }
`);

// One version of a payer: the current row of the detail, or one of its history.
export const PayerVersionFields = graphql(`
  fragment PayerVersionFields on Payer {
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
`);

export const PayerDetailQuery = graphql(`
  query PayerDetail($uuid: UUID!) {
    payer(uuid: $uuid) {
      ...PayerVersionFields
      viewerCanChange
      viewerCanDelete
      location {
        ...PayerLocationFields
      }
      history {
        ...PayerVersionFields
      }
    }
  }
`);

export const CreatePayerMutation = graphql(`
  mutation CreatePayer($input: CreatePayerInput!) {
    createPayer(input: $input) {
      ...PayerPayloadFields
    }
  }
`);

export const UpdatePayerMutation = graphql(`
  mutation UpdatePayer($input: UpdatePayerInput!) {
    updatePayer(input: $input) {
      ...PayerPayloadFields
    }
  }
`);

export const DeletePayerMutation = graphql(`
  mutation DeletePayer($input: DeletePayerInput!) {
    deletePayer(input: $input) {
      ...PayerPayloadFields
    }
  }
`);
