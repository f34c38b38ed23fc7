"""The CRI layer: endpoint discovery, a read-only gRPC client (v1, else v1alpha2), the gatherer."""
