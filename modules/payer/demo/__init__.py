"""Demo data of the payer module (not domain code): the reproducible payer generator."""
