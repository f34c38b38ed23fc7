"""The lab's one error type."""

from __future__ import annotations

from doctor.errors import DoctorError


class LabError(DoctorError):
    """The lab could not be set up, driven or torn down; the message says what to do."""
