"""`codeloop serve` and `codeloop models`: the embedded model server and the model cache."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading

import typer
from rich.console import Console
from rich.table import Table

from apps.errors import cli_errors, fail
from apps.options import knob_option
from serving.embedded import DEFAULT_PORT, ManagedServer
from serving.models import DEFAULT_MODEL, cached_path, get_spec, list_models, pull, resolve

models_app = typer.Typer(no_args_is_help=True, help="List and download models.")


def serve(
    model: knob_option("model", help="Model name or .gguf path (vllm: also a Hugging Face id or checkpoint dir).") = None,
    engine: knob_option("engine", help="llama-server (default) | llama-cpp-python | vllm.") = None,
    port: knob_option("port", help="Port on 127.0.0.1.") = DEFAULT_PORT,
    n_ctx: int = typer.Option(4096, "--ctx", min=256, help="Context window per sequence, in tokens."),
    parallel: knob_option("parallel", help="llama-server slots (default: from cores and memory).") = None,
    gpu_layers: knob_option("gpu_layers", help="llama-server: layers to offload to the GPU (a CUDA build).") = None,
) -> None:
    """Run a model server on 127.0.0.1 until Ctrl-C (other codeloop commands on the same port reuse it:
    they prove it is this server with the API key it keeps, 0600, in the key file it names)."""
    from serving.engines import engine_name, make_engine
    from serving.session import server_log_path

    with cli_errors():
        name = engine_name(engine)
        if name == "openai":
            fail("--engine openai is a server that already runs: give its --base-url to solve/batch instead")
        log_path = server_log_path(port, name)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        server = ManagedServer(make_engine(name, model, n_ctx=n_ctx, parallel=parallel, gpu_layers=gpu_layers),
                               port=port, log_path=log_path, reuse=False)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        url = server.start()
        try:
            print(f"serving {server.alias} with {name} at {url} (API key in {server.key_file}; log {log_path}; "
                  "Ctrl-C to stop)", flush=True)
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
        spec = get_spec(name or DEFAULT_MODEL)
        if cached_path(spec).is_file():
            path = resolve(name) if name is None else pull(spec)
        else:  # minutes the first time: say so, with a spinner on a terminal
            err = Console(stderr=True)
            doing = f"fetching {spec.name} and checking its sha256 (a minute or more the first time)"
            if not err.is_terminal:
                print(f"{doing} …", file=sys.stderr, flush=True)
            with err.status(doing) if err.is_terminal else contextlib.nullcontext():
                path = resolve(name) if name is None else pull(spec)
    print(path)
