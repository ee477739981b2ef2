// The location module's GraphQL operations, typed by graphql-codegen (src/gql).
import { graphql } from "../../src/gql";

// A location as a link or a picked value shows it: in parent chains and search results.
export const LocationSummaryFields = graphql(`
  fragment LocationSummaryFields on Location {
    uuid
    code
    name
    type
  }
`);

// What every location mutation answers: the saved location, or why nothing was written.
export const LocationPayloadFields = graphql(`
  fragment LocationPayloadFields on LocationPayload {
    location {
      uuid
    }
    errors {
      ...UserErrorFields
    }
  }
`);

export const LocationListQuery = graphql(`
  query LocationList(
    $filter: LocationFilter
    $first: Int
    $after: String
    $orderBy: [LocationOrder!] = [{ field: NAME }]
  ) {
    locations(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        node {
          ...LocationSummaryFields
          parent {
            code
            name
            parent {
              code
              name
              parent {
                code
                name
              }
            }
          }
        }
      }
    }
  }
`);

export const LocationDetailQuery = graphql(`
  query LocationDetail($uuid: UUID!) {
    location(uuid: $uuid) {
      ...LocationSummaryFields
      malePopulation
      femalePopulation
      otherPopulation
      families
      validityFrom
      validityTo
      viewerCanChange
      viewerCanDelete
      viewerCanAddChild
      parent {
        ...LocationSummaryFields
        parent {
          ...LocationSummaryFields
          parent {
            ...LocationSummaryFields
          }
        }
      }
      history {
        ...LocationSummaryFields
        validityFrom
        validityTo
      }
    }
  }
`);

export const CreateLocationMutation = graphql(`
  mutation CreateLocation($input: CreateLocationInput!) {
    createLocation(input: $input) {
      ...LocationPayloadFields
    }
  }
`);

export const UpdateLocationMutation = graphql(`
  mutation UpdateLocation($input: UpdateLocationInput!) {
    updateLocation(input: $input) {
      ...LocationPayloadFields
    }
  }
`);

export const MoveLocationMutation = graphql(`
  mutation MoveLocation($input: MoveLocationInput!) {
    moveLocation(input: $input) {
      ...LocationPayloadFields
    }
  }
`);

export const DeleteLocationMutation = graphql(`
  mutation DeleteLocation($input: DeleteLocationInput!) {
    deleteLocation(input: $input) {
      ...LocationPayloadFields
    }
  }
`);
