"""The one error the command line shows: what went wrong and the fix, on one line."""

from __future__ import annotations


class CliError(Exception):
    def __init__(self, problem: str, fix: str = "", *, code: int = 1):
        super().__init__(problem)
        self.problem = problem.rstrip(".")
        self.fix = fix
        self.code = code

    def line(self) -> str:
        return f"{self.problem}." + (f" {self.fix}" if self.fix else "")
