"""Resource namespaces of the clients: one module per API area."""
