"""GraphQL code of the location module (types, filters, queries)."""
