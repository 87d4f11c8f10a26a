"""Exit codes and the one failure type the driver raises; torch-free, so the CLI maps them cheaply."""

from __future__ import annotations

EXIT_FAILURE = 1  # a render or audit failed (also "already rendering")
EXIT_USAGE = 2  # bad input: unknown topic, bad option, unavailable device, unusable output folder
EXIT_DEPENDENCY = 3  # a missing dependency (the message names the install command)
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM


class Failure(Exception):
    """A failure with an exit code and a one-line message for the user."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code
