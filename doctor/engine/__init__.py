"""The rule engine: load YAML rules, evaluate them over a facts document, pick the root cause."""
