"""Demo data of the location module (not domain code): the Cambodia loader."""
