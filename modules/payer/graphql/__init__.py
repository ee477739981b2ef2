"""GraphQL code of the payer module (types, filters, queries, Location.payers)."""
