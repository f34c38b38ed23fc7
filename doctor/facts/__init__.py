"""The facts document: the one description of a node that gatherers write and rules read."""

from doctor.facts.document import SCHEMA_VERSION, FactsDocument, load_facts, parse_facts

__all__ = ["SCHEMA_VERSION", "FactsDocument", "load_facts", "parse_facts"]
