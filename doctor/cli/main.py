"""The `stackdoctor` entry point: the command group and the one place errors become exit codes."""

from __future__ import annotations

import gc
import importlib
import logging
import sys

import click

from doctor import __version__
from doctor.errors import EXIT_CANNOT_RUN, DoctorError

# Each command's module is imported only when that command runs (or --help lists it): a
# `diagnose` need not pay for `lab` and `collect`.
COMMANDS = {
    "analyze": "doctor.cli.analyze",
    "diagnose": "doctor.cli.diagnose",
    "check": "doctor.cli.check",
    "collect": "doctor.cli.collect",
    "facts": "doctor.cli.facts",
    "rules": "doctor.cli.rules",
    "lab": "doctor.cli.lab",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        command = getattr(importlib.import_module(module), cmd_name)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module}.{cmd_name} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stackdoctor")
@click.option("--debug", is_flag=True, help="Log what stackdoctor does to standard error.")
def cli(debug: bool) -> None:
    """Diagnose why a pod will not run, layer by layer down the node's container stack:
    kubelet → CRI → containerd → shim → runc → process, and the node underneath.

    Exit codes: 0 no finding at or above --fail-on, 1 such findings (or rule problems for
    `rules lint|test`), 2 could not run (bad input, unreadable file, broken rule, usage).
    """
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING, format="%(name)s: %(message)s"
    )


def main() -> None:
    run(cli)


def plugin_main() -> None:
    """`kubectl stackdoctor` (the executable kubectl-stackdoctor): see doctor/cli/plugin.py."""
    from doctor.cli.plugin import kubectl_stackdoctor

    run(kubectl_stackdoctor, "kubectl stackdoctor")


def run(command: click.Command, prog_name: str | None = None) -> None:
    try:
        _run(command, prog_name)
    finally:
        # All that is still alive goes with the process: spare it the interpreter's final
        # garbage collections (~25 ms after a diagnose: grpc, protobuf, the facts).
        gc.freeze()


def _run(command: click.Command, prog_name: str | None) -> None:
    try:
        command.main(prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_CANNOT_RUN)
    except click.exceptions.Abort:
        click.echo("stackdoctor: aborted", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    except DoctorError as exc:
        click.echo(f"stackdoctor: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (| head): not an error of ours
        sys.exit(EXIT_CANNOT_RUN)
    except KeyboardInterrupt:
        click.echo("stackdoctor: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug of ours: one line, the traceback only with --debug
        if "--debug" in sys.argv[1:]:
            raise
        click.echo(
            f"stackdoctor: internal error: {type(exc).__name__}: {exc}"
            " (rerun with --debug for the traceback, and please report it)",
            err=True,
        )
        sys.exit(EXIT_CANNOT_RUN)
