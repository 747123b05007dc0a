"""The exception hierarchy. Every user-facing error is a CctvGuardError whose message is
one line saying what was expected and what was found; the CLI turns it into exit code 2."""


class CctvGuardError(Exception):
    """Base class for errors caused by user input or environment (exit code 2)."""

    exit_code = 2


class SourceError(CctvGuardError):
    """A video, image, folder or stream could not be opened or decoded."""


class BaselineError(CctvGuardError):
    """A baseline file is missing, corrupt, of another version, or does not fit the footage."""


class ModelError(CctvGuardError):
    """A model file is missing, corrupt, or cannot be loaded."""


class ConfigError(CctvGuardError):
    """A config file, polygon, zone or option value is malformed."""


class RegistryError(CctvGuardError):
    """A camera registry operation failed (unknown or duplicate id, bad row)."""


class ArchiveError(CctvGuardError):
    """An archive, seal or ledger operation failed."""
