"""`codeloop serve` and `codeloop models`: the embedded model server and the model cache."""

from __future__ import annotations

import json
import signal
import threading

import typer
from rich.console import Console
from rich.table import Table

from apps.errors import cli_errors
from serving.embedded import DEFAULT_PORT, EmbeddedServer
from serving.models import get_spec, list_models, pull, resolve
from serving.session import model_alias

models_app = typer.Typer(no_args_is_help=True, help="List and download models.")


def serve(
    model: str = typer.Option(None, "--model", "-m", envvar="CODELOOP_MODEL", help="Model name or .gguf path."),
    port: int = typer.Option(DEFAULT_PORT, "--port", envvar="CODELOOP_PORT", help="Port on 127.0.0.1."),
    n_ctx: int = typer.Option(4096, "--ctx", help="Context window in tokens."),
) -> None:
    """Run the embedded llama.cpp server on 127.0.0.1 until Ctrl-C."""
    with cli_errors():
        path = resolve(model)
        server = EmbeddedServer(path, model_alias(model, path), port=port, n_ctx=n_ctx, reuse=False)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        url = server.start()
        try:
            print(f"serving {server.alias} at {url} (Ctrl-C to stop)", flush=True)
            while not stop.wait(0.5):
                if server.process.poll() is not None:
                    raise typer.Exit(1)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()


@models_app.command("list")
def models_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Registered models and whether they are downloaded."""
    rows = list_models()
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table("name", "downloaded", "description")
    for row in rows:
        table.add_row(row["name"] + (" (default)" if row["default"] else ""), "yes" if row["downloaded"] else "no", row["description"])
    Console().print(table)


@models_app.command("pull")
def models_pull(name: str = typer.Argument(None, help="Model name (default: the default model).")) -> None:
    """Download, assemble and verify a model into the cache."""
    with cli_errors():
        path = resolve(name) if name is None else pull(get_spec(name))
    print(path)
