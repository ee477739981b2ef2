// The location module's GraphQL operations, typed by graphql-codegen (src/gql).
import { graphql } from "../../src/gql";

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
        hasNextPage
        endCursor
      }
      edges {
        node {
          uuid
          code
          name
          type
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
      uuid
      code
      name
      type
      malePopulation
      femalePopulation
      otherPopulation
      families
      validityFrom
      validityTo
      parent {
        uuid
        code
        name
        type
        parent {
          uuid
          code
          name
          type
          parent {
            uuid
            code
            name
            type
          }
        }
      }
      history {
        uuid
        code
        name
        type
        validityFrom
        validityTo
      }
    }
  }
`);

export const CreateLocationMutation = graphql(`
  mutation CreateLocation($input: CreateLocationInput!) {
    createLocation(input: $input) {
      location {
        uuid
      }
      errors {
        ...UserErrorFields
      }
    }
  }
`);

export const UpdateLocationMutation = graphql(`
  mutation UpdateLocation($input: UpdateLocationInput!) {
    updateLocation(input: $input) {
      location {
        uuid
      }
      errors {
        ...UserErrorFields
      }
    }
  }
`);

export const MoveLocationMutation = graphql(`
  mutation MoveLocation($input: MoveLocationInput!) {
    moveLocation(input: $input) {
      location {
        uuid
      }
      errors {
        ...UserErrorFields
      }
    }
  }
`);

export const DeleteLocationMutation = graphql(`
  mutation DeleteLocation($input: DeleteLocationInput!) {
    deleteLocation(input: $input) {
      location {
        uuid
      }
      errors {
        ...UserErrorFields
      }
    }
  }
`);
