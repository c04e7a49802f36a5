"""The `codeloop` console script (typer). Domain errors become one-line CLI errors here."""

from __future__ import annotations

import logging
import sys
from importlib.metadata import PackageNotFoundError, version

import typer

from apps import batch_cmd, retrieval_cmd
from apps.build_cmd import build, build_bench
from apps.cache_cmd import cache_app
from apps.config_cmd import config
from apps.sandbox_cmd import sandbox_app
from apps.serve_cmd import models_app, serve
from apps.chat.command import chat
from apps.errors import OneLineErrors, fail
from apps import workspace_cmd
from apps.vscode import init_app
from apps.solve_cmd import solve
from apps.trust_cmd import trust
from settings.config import ConfigError, Loaded, default_map, load_report


def package_version() -> str:
    """The installed distribution's version."""
    try:
        return version("codeloop")
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        print(f"codeloop {package_version()}")
        raise typer.Exit()


app = typer.Typer(cls=OneLineErrors, no_args_is_help=True, help="Local-first multi-agent code generator.")
app.command()(solve)
app.command()(serve)
app.command()(chat)
app.command()(workspace_cmd.test)
app.command()(workspace_cmd.fix)
app.command()(workspace_cmd.implement)
app.add_typer(init_app, name="init")
app.command()(build)
app.command(name="build-bench")(build_bench)
app.add_typer(models_app, name="models")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(cache_app, name="cache")
app.command()(config)
app.command()(trust)
batch_cmd.register(app)
retrieval_cmd.register(app)


@app.callback()
def setup(ctx: typer.Context,
          verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress to stderr."),
          show_version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                            help="Print the version and exit.")) -> None:
    """Local-first multi-agent code generator."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    apply_configuration(ctx)


def apply_configuration(ctx: typer.Context) -> None:
    """The one configuration (settings/config.py) as the commands' defaults: click then takes
    a flag first, then the option's CODELOOP_* variable, then these (env and config files).
    The resolved `Loaded` is `ctx.obj` for the commands (apps/options.py `resolved`); library
    code not handed a value asks the settings itself (settings.config.current), so nothing
    is copied into os.environ. Each key refused from an untrusted project is one warning
    line on stderr."""
    commands = {}
    for name in ctx.command.list_commands(ctx):
        command = ctx.command.get_command(ctx, name)
        if command is not None and not hasattr(command, "list_commands"):  # sub-groups have their own knobs
            commands[name] = [p.name for p in command.params if p.name]
    try:
        loaded = load_report()
        ctx.default_map = default_map(commands, loaded)
    except ConfigError as exc:
        fail(str(exc))
        return
    ctx.obj = loaded
    if ctx.invoked_subcommand != "trust":  # trust says what it does about them itself
        for refused in loaded.refused:
            print(refused.message(), file=sys.stderr)
    for name, params in commands.items():
        if {"base_url", "llm_spec"} <= set(params):
            strongest_server_choice(ctx.command.get_command(ctx, name), loaded)


def strongest_server_choice(command, loaded: Loaded) -> None:
    """`--base-url` and `--llm` each name the model to use; when both arrive, the one from the
    stronger source wins (a flag over CODELOOP_* over a config file), so the user's own
    `--base-url` is never overridden by an `llm` from the environment or a file. Equally
    strong (both flags): `--llm`, as documented. Runs after click parsed the command line,
    where each parameter's source is known."""
    invoke = command.invoke

    def settled(sub_ctx):
        params = sub_ctx.params
        if params.get("base_url") and params.get("llm_spec"):
            def rank(param: str, setting: str) -> int:
                source = sub_ctx.get_parameter_source(param)
                return -1 if source is not None and source.name == "COMMANDLINE" else loaded.rank(setting)

            if rank("base_url", "base_url") < rank("llm_spec", "llm"):
                params["llm_spec"] = None
            else:
                params["base_url"] = None
        return invoke(sub_ctx)

    command.invoke = settled


@app.command()
def graph(mermaid: bool = typer.Option(True, "--mermaid", help="Print the graph as Mermaid text.")) -> None:
    """Print the agent graph."""
    from agents.graph import build_graph

    print(build_graph(None, None).get_graph().draw_mermaid(), end="")


def main() -> None:
    """Console-script entry point."""
    app()
