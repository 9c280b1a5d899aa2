"""Exit codes of the ``pneumatic`` command and how errors map onto them.

====  ==========================================================================================
code  meaning
====  ==========================================================================================
0     success
1     the API answered with an error, a request failed, or some items of a bulk run failed
2     bad usage or bad input (unknown option, malformed ``key=value``, unreadable or invalid file,
      values the template rejects, an argument the SDK refuses before sending)
3     missing or invalid configuration (no API key, malformed base URL)
130   interrupted (Ctrl-C)
====  ==========================================================================================
"""

from __future__ import annotations

import enum

from pneumatic_async.bulk.journal import JournalMismatchError
from pneumatic_async.bulk.sources import SourceFormatError
from pneumatic_async.errors import ConfigurationError, InvalidValuesError, PneumaticError

__all__ = ["CliError", "ExitCode", "InputError", "exit_code_for", "message_for"]


class ExitCode(enum.IntEnum):
    """The process exit codes (see the module docs)."""

    OK = 0
    FAILED = 1
    USAGE = 2
    CONFIG = 3
    INTERRUPTED = 130


class CliError(Exception):
    """An error the CLI reports as one line and exits with ``exit_code``."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class InputError(CliError):
    """Bad input from the command line or an input file (exit code 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.USAGE)


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code an error ends the command with."""
    if isinstance(exc, CliError):
        return exc.exit_code
    if isinstance(exc, ConfigurationError):
        return ExitCode.CONFIG
    if isinstance(exc, InvalidValuesError | SourceFormatError | JournalMismatchError):
        return ExitCode.USAGE
    if isinstance(exc, PneumaticError):  # API errors, timeouts (some are OSErrors too)
        return ExitCode.FAILED
    if isinstance(exc, OSError):  # an input file that cannot be read
        return ExitCode.USAGE
    if isinstance(exc, ValueError) and not isinstance(exc, PneumaticError):
        return ExitCode.USAGE  # an argument the SDK refused before sending (e.g. a webhook URL)
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.FAILED


def message_for(exc: BaseException) -> str:
    """The one-line message for an error (the SDK's errors have informative ``str()``s)."""
    if isinstance(exc, OSError) and exc.filename is not None:
        reason = exc.strerror or type(exc).__name__
        return f"{exc.filename}: {reason}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, PneumaticError | CliError | ValueError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"
