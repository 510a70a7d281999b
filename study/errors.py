"""The study's own error types: bad input a user can fix, each with a message saying how.

The command line reports these in one line; any other exception is a bug and keeps its
traceback.
"""

from __future__ import annotations


class StudyError(Exception):
    """Bad input to the study. The message names the file or setting and what to do."""


class DataError(StudyError):
    """The data on disk is missing, corrupt or not MNIST."""


class ConfigError(StudyError, ValueError):
    """A setting is unknown, of the wrong type or out of range."""


class CheckpointError(StudyError):
    """A file passed as a checkpoint is not a study checkpoint, or not the one expected."""


class RenderError(StudyError):
    """A document could not be rendered."""
