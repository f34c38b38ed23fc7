"""The exception hierarchy and the exit codes every command shares.

Exit codes (documented for users in README.md, "Use"):
  0  no finding at or above the --fail-on severity
  1  at least one such finding
  2  could not run: bad input, unreadable file, broken rule, usage error
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_CANNOT_RUN = 2


class DoctorError(Exception):
    """Base of every error stackdoctor reports as one line and exit code 2."""

    exit_code = EXIT_CANNOT_RUN


class RuleError(DoctorError):
    """A rule file or rule is invalid; the message starts with `file:line:`."""


class FactsError(DoctorError):
    """A facts document cannot be read or does not match the schema."""


class GatherError(DoctorError):
    """A layer could not be gathered at all (used by the live gatherers)."""


class BundleError(DoctorError):
    """A support bundle is unreadable or hostile."""
