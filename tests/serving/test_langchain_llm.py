"""LangChain chat models behind the `LLM` protocol (serving/langchain_llm.py) and
`--llm langchain:MODULE:FACTORY` on solve, batch and chat — langchain_core's fake chat
models and a recording model, a stub OpenAI server for ChatOpenAI; no real model."""

import json
import sys
import textwrap
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("langchain_core")

from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402

from serving.base import LLMError, Sampling  # noqa: E402
from serving.langchain_llm import LangChainLLM, LangChainMissing, load_chat_model, parse_spec  # noqa: E402
from serving.session import llm_session  # noqa: E402
from tests.conftest import send_json  # noqa: E402

MESSAGES = [{"role": "system", "content": "You write Python."}, {"role": "user", "content": "add two numbers"}]
GOOD = "```python\ndef add(a, b):\n    return a + b\n```"


def answer(text, prompt=10, output=5, cached=0):
    usage = {"input_tokens": prompt, "output_tokens": output, "total_tokens": prompt + output}
    if cached:
        usage["input_token_details"] = {"cache_read": cached}
    return AIMessage(content=text, usage_metadata=usage)


class Recording(BaseChatModel):
    """A chat model with OpenAI-like fields that records the call parameters it gets and
    answers "r0", "r1", ... — one generation per requested `n`."""

    temperature: float = 0.7
    max_tokens: int | None = None
    top_p: float | None = None
    seed: int | None = None
    n: int = 1
    calls: list = []

    @property
    def _llm_type(self) -> str:
        return "recording"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        self.calls.append({"roles": [m.type for m in messages], "stop": stop, **kwargs})
        n = kwargs.get("n", self.n)
        base = sum(len(c.get("roles", [])) for c in self.calls[:-1])
        usage = {"input_tokens": 7, "output_tokens": 3 * n, "total_tokens": 7 + 3 * n,
                 "input_token_details": {"cache_read": 4}}
        info = {"finish_reason": "length"}
        return ChatResult(generations=[
            ChatGeneration(message=AIMessage(content=f"r{base + i}", usage_metadata=usage), generation_info=info)
            for i in range(n)])


def test_text_usage_and_cached_tokens_from_usage_metadata():
    model = GenericFakeChatModel(messages=iter([answer("one", 12, 3, cached=8), answer("two", 12, 4)]))
    llm = LangChainLLM(model)
    done = llm.complete(MESSAGES, n=2, max_tokens=64, temperature=0.8)
    assert done.texts == ["one", "two"]  # no `n` field: two prompts in one generate call
    assert (done.usage.prompt_tokens, done.usage.completion_tokens, done.usage.cached_tokens, done.usage.calls) \
        == (24, 7, 8, 2)
    assert done.model == "GenericFakeChatModel" and done.logprobs is None


def test_a_model_without_usage_is_estimated():
    llm = LangChainLLM(FakeListChatModel(responses=["x" * 40]))
    done = llm.complete(MESSAGES, max_tokens=10)
    prompt_chars = sum(len(m["content"]) for m in MESSAGES)
    assert (done.usage.prompt_tokens, done.usage.completion_tokens, done.usage.calls) == (prompt_chars // 4, 10, 1)


def test_parameters_go_under_the_models_own_fields_and_n_is_one_request():
    model = Recording(calls=[])
    llm = LangChainLLM(model)
    done = llm.complete(MESSAGES, n=3, max_tokens=50, temperature=0.6, stop=["```\n"],
                        sampling=Sampling(top_p=0.9, top_k=20, min_p=0.05, seed=1), logprobs=True)
    assert done.texts == ["r0", "r1", "r2"] and done.finish_reasons == ["length"] * 3
    [call] = model.calls  # one request for n=3
    assert call == {"roles": ["system", "human"], "stop": ["```\n"], "temperature": 0.6, "max_tokens": 50,
                    "top_p": 0.9, "seed": 1, "n": 3}  # no top_k/min_p/logprobs: the model has no such field
    # one request's usage is counted once, though each of its answers carries it
    assert (done.usage.prompt_tokens, done.usage.completion_tokens, done.usage.cached_tokens, done.usage.calls) \
        == (7, 9, 4, 1)
    assert done.logprobs == [[], [], []]  # asked for, not reported: empty, mean_logprob None
    assert done.mean_logprob(0) is None


def test_assistant_turns_and_greedy_call():
    model = Recording(calls=[])
    history = MESSAGES + [{"role": "assistant", "content": "def add"}, {"role": "user", "content": "again"}]
    LangChainLLM(model).complete(history, max_tokens=5)
    assert model.calls[0]["roles"] == ["system", "human", "ai", "human"]
    assert "n" not in model.calls[0] and model.calls[0]["temperature"] == 0.0


def test_model_errors_become_llm_errors():
    class Broken(FakeListChatModel):
        def _call(self, *args, **kwargs):
            raise ConnectionError("gateway down")

    with pytest.raises(LLMError, match="Broken failed: ConnectionError: gateway down"):
        LangChainLLM(Broken(responses=["x"])).complete(MESSAGES, max_tokens=5)
    spent = GenericFakeChatModel(messages=iter([]))
    with pytest.raises(LLMError, match="GenericFakeChatModel failed"):
        LangChainLLM(spent).complete(MESSAGES, max_tokens=5)
    with pytest.raises(ValueError):
        LangChainLLM(spent).complete(MESSAGES, n=0, max_tokens=5)


def test_chat_openai_through_the_adapter_tops_up_missing_choices(stub_server):
    """ChatOpenAI against a server that returns one choice whatever `n` says."""
    pytest.importorskip("langchain_openai")
    from langchain_openai import ChatOpenAI

    server = stub_server(["first", "second"])
    model = ChatOpenAI(base_url=server.base_url, api_key="none", model="stub-model", max_retries=0)
    done = LangChainLLM(model).complete(MESSAGES, n=2, max_tokens=32, temperature=0.5)
    assert done.texts == ["first", "second"] and done.model == "stub-model"
    assert [r.get("n", 1) for r in server.requests] == [2, 1]
    assert server.requests[0]["temperature"] == 0.5
    assert server.requests[0].get("max_tokens", server.requests[0].get("max_completion_tokens")) == 32
    assert (done.usage.prompt_tokens, done.usage.completion_tokens, done.usage.calls) == (200, 40, 2)


def test_spec_parsing_and_loading(tmp_path, monkeypatch):
    assert parse_spec("langchain:pkg.models:make") == ("pkg.models", "make")
    for bad in ("openai:x:y", "langchain:only", "langchain::f", "langchain:mod:"):
        with pytest.raises(ValueError, match="langchain:MODULE:FACTORY"):
            parse_spec(bad)
    (tmp_path / "lc_spec_models.py").write_text(textwrap.dedent("""
        from langchain_core.language_models.fake_chat_models import FakeListChatModel
        ready = FakeListChatModel(responses=["hi"])
        def make():
            return FakeListChatModel(responses=["made"])
        def wrong():
            return "not a model"
        def broken():
            raise RuntimeError("no key")
    """))
    monkeypatch.chdir(tmp_path)  # the working directory is searched (last)
    monkeypatch.delitem(sys.modules, "lc_spec_models", raising=False)
    assert load_chat_model("langchain:lc_spec_models:make").responses == ["made"]
    assert load_chat_model("langchain:lc_spec_models:ready").responses == ["hi"]
    assert str(tmp_path) not in sys.path
    with pytest.raises(ValueError, match="not a LangChain BaseChatModel"):
        load_chat_model("langchain:lc_spec_models:wrong")
    with pytest.raises(LLMError, match=r"broken\(\) failed: RuntimeError: no key"):
        load_chat_model("langchain:lc_spec_models:broken")
    with pytest.raises(ValueError, match="has no 'missing'"):
        load_chat_model("langchain:lc_spec_models:missing")
    with pytest.raises(ValueError, match="cannot import 'no_such_module_here'"):
        load_chat_model("langchain:no_such_module_here:make")
    with llm_session(llm="langchain:lc_spec_models:make") as llm:
        assert llm.complete(MESSAGES, max_tokens=5).texts == ["made"]
    monkeypatch.delitem(sys.modules, "lc_spec_models", raising=False)


def test_missing_extra_is_one_line_naming_it(monkeypatch, tmp_path):
    from apps.cli import app  # langgraph itself needs langchain_core: import the app before hiding it

    monkeypatch.setitem(sys.modules, "langchain_core", None)  # import langchain_core now fails
    monkeypatch.setitem(sys.modules, "langchain_core.language_models", None)
    with pytest.raises(LangChainMissing, match=r"pip install -e '\.\[langchain\]'"):
        load_chat_model("langchain:anything:make")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["solve", "add two numbers", "--llm", "langchain:anything:make",
                                      "--sandbox", "process"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: LangChain models need the langchain extra: pip install -e '.[langchain]'"


def write_factory(directory, name, texts, usage=True):
    """A module `name` in `directory` whose `make()` answers `texts` in order (with usage)."""
    (directory / f"{name}.py").write_text(textwrap.dedent(f"""
        from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage
        TEXTS = {json.dumps(texts)}
        USAGE = {{"input_tokens": 100, "output_tokens": 20, "total_tokens": 120,
                 "input_token_details": {{"cache_read": 60}}}}
        def make():
            return GenericFakeChatModel(messages=iter(
                [AIMessage(content=t, usage_metadata=USAGE if {usage} else None) for t in TEXTS]))
    """))


def test_solve_runs_the_whole_graph_on_a_langchain_model(tmp_path, monkeypatch):
    from apps.cli import app

    write_factory(tmp_path, "lc_solve_models", [GOOD] * 10)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "lc_solve_models", raising=False)
    task = "Write add(a, b) that returns a + b.\nassert add(1, 2) == 3\nassert add(2, 5) == 7\n"
    result = CliRunner().invoke(app, ["solve", task, "--llm", "langchain:lc_solve_models:make",
                                      "--sandbox", "process", "--json"])
    monkeypatch.delitem(sys.modules, "lc_solve_models", raising=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "passed" and "return a + b" in data["code"]
    totals = data["totals"]
    calls = totals["calls"]
    assert calls >= 3  # greedy, then confirming samples (1 + 2 in the default flow)
    assert (totals["prompt_tokens"], totals["completion_tokens"], totals["cached_tokens"]) \
        == (100 * calls, 20 * calls, 60 * calls)


def test_batch_and_chat_take_the_same_option(tmp_path, monkeypatch):
    from apps.cli import app
    from eval.problems import load_benchmark

    problem = load_benchmark("humaneval")[0]
    write_factory(tmp_path, "lc_batch_models", [f"```python\n{problem.prompt}{problem.canonical_solution}```"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delitem(sys.modules, "lc_batch_models", raising=False)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["batch", "humaneval", "--limit", "1", "--mode", "baseline", "--out", str(out),
                                      "--sandbox", "process", "--llm", "langchain:lc_batch_models:make", "--json"])
    monkeypatch.delitem(sys.modules, "lc_batch_models", raising=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] == 1
    meta = json.loads((out / "meta.json").read_text())
    # the spec is the run's identity (resuming with another model is refused); the class is recorded
    assert meta["model"] == "langchain:lc_batch_models:make" and meta["served_model"] == "GenericFakeChatModel"

    from tests.apps.chat_fixtures import make_repo

    repo = make_repo(tmp_path / "repo")
    write_factory(repo, "lc_chat_models", ["It adds a and b."])
    monkeypatch.chdir(repo)
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delitem(sys.modules, "lc_chat_models", raising=False)
    result = CliRunner().invoke(app, ["chat", "--llm", "langchain:lc_chat_models:make", "--sandbox", "process"],
                                input="/ask what does add do?\n/exit\n", catch_exceptions=False)
    monkeypatch.delitem(sys.modules, "lc_chat_models", raising=False)
    assert result.exit_code == 0, result.output
    assert "GenericFakeChatModel" in result.stdout and "It adds a and b." in result.stdout


@pytest.fixture
def choices_server():
    """An OpenAI server that honours `n`: choice i says "s{i}" with one token of log-prob
    -(i+1)/10; usage covers all choices, 6 of the 10 prompt tokens cached."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    requests = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append(body)
            n = body.get("n") or 1
            choices = [{"index": i, "message": {"role": "assistant", "content": f"s{i}"},
                        "finish_reason": "length" if i == 0 else "stop",
                        "logprobs": {"content": [{"token": "s", "logprob": -(i + 1) / 10, "bytes": None,
                                                  "top_logprobs": []}]}} for i in range(n)]
            send_json(self, {"id": "c", "object": "chat.completion", "created": 0, "model": "served-model",
                               "choices": choices,
                               "usage": {"prompt_tokens": 10, "completion_tokens": 4 * n, "total_tokens": 10 + 4 * n,
                                         "prompt_tokens_details": {"cached_tokens": 6}}})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", requests
    httpd.shutdown()
    httpd.server_close()


def test_chat_openai_n_in_one_request_with_logprobs_and_cached_tokens(choices_server):
    pytest.importorskip("langchain_openai")
    from langchain_openai import ChatOpenAI

    url, requests = choices_server
    model = ChatOpenAI(base_url=url, api_key="none", model="served-model", max_retries=0)
    done = LangChainLLM(model).complete(MESSAGES, n=3, max_tokens=16, temperature=0.7, logprobs=True,
                                        sampling=Sampling(top_p=0.8, seed=3))
    assert done.texts == ["s0", "s1", "s2"] and done.finish_reasons == ["length", "stop", "stop"]
    assert [done.mean_logprob(i) for i in range(3)] == pytest.approx([-0.1, -0.2, -0.3])
    assert (done.usage.prompt_tokens, done.usage.completion_tokens, done.usage.cached_tokens, done.usage.calls) \
        == (10, 12, 6, 1)
    [request] = requests
    assert (request["n"], request["temperature"], request["top_p"], request["seed"], request["logprobs"]) \
        == (3, 0.7, 0.8, 3, True)
    assert "top_k" not in request and "min_p" not in request  # ChatOpenAI has no such fields: not sent
