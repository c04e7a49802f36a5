"""The context budget: sections cut to fit, never over budget; exchanges dropped; the
server tokenizer with its fallback."""

import httpx
import pytest

from memory.context_budget import Budget, ContextOverflow, Section, compose, excerpt, fit_exchanges, messages_tokens
from serving.tokens import CharCounter, ServerCounter

COUNTER = CharCounter(3.5)


def big_file(n):
    return "\n".join(f"def f{i}(x):\n    return x + {i}" for i in range(n))


def sections(n_files=3, size=200):
    return [
        Section("Spec overview", "A todo app. " * 50, shrink=2),
        Section("Requirements", "R1: add items\nR2: list items"),
        Section("Instruction", "Write todo/store.py with add() and list(); write and run tests."),
        Section("File index", "\n".join(f"pkg/m{i}.py (10 lines)" for i in range(40)), shrink=3),
        *[Section(f"pkg/m{i}.py", big_file(size), shrink=4, fence="python") for i in range(n_files)],
        Section("Previous step", "Wrote pkg/m0.py.", shrink=1),
    ]


@pytest.mark.parametrize("allowance", [300, 600, 1200, 2500, 100000])
def test_composed_prompt_never_exceeds_the_allowance(allowance):
    text, cut = compose(COUNTER, sections(), allowance)
    assert COUNTER.count(text) <= allowance
    assert "R1: add items" in text and "write and run tests" in text  # required parts stay whole
    if allowance == 100000:
        assert cut == [] and "def f199(x):" in text
    else:
        assert cut and cut[0] == "pkg/m0.py"  # files are cut before the index and the overview


def test_required_parts_alone_over_budget_is_an_overflow():
    with pytest.raises(ContextOverflow):
        compose(COUNTER, [Section("Instruction", "x" * 4000)], 100)


def test_excerpt_keeps_head_and_tail():
    text = big_file(100)
    short = excerpt(text, 300)
    assert short.startswith("def f0(x):") and short.endswith("return x + 99")
    assert "lines omitted to fit the context" in short and len(short) < 400
    assert excerpt("small", 300) == "small"


def test_budget_keeps_answer_room_and_reserve():
    budget = Budget(n_ctx=4096, max_tokens=1024, reserve_frac=0.15)
    assert budget.prompt_limit == 4096 - 1024 - 614


def test_oldest_exchanges_are_dropped_first():
    budget = Budget(n_ctx=1000, max_tokens=200, reserve_frac=0.1)
    head = [{"role": "system", "content": "s" * 350}, {"role": "user", "content": "step " * 70}]
    chat = list(head)
    for i in range(6):
        chat += [{"role": "assistant", "content": f"answer {i} " + "a" * 300},
                 {"role": "user", "content": f"report {i} " + "r" * 100}]
    kept, dropped = fit_exchanges(COUNTER, budget, chat, head=2)
    assert dropped > 0 and kept[:2] == head and kept[-1] == chat[-1]
    assert kept[2]["content"].startswith(f"answer {dropped}")
    assert messages_tokens(COUNTER, kept) <= budget.prompt_limit
    assert fit_exchanges(COUNTER, budget, head, head=2) == (head, 0)


def test_a_chat_that_cannot_fit_even_without_history_overflows():
    budget = Budget(n_ctx=500, max_tokens=200)
    chat = [{"role": "system", "content": "s" * 2000}, {"role": "user", "content": "u"}]
    with pytest.raises(ContextOverflow):
        fit_exchanges(COUNTER, budget, chat, head=1)


def test_server_counter_uses_the_tokenize_endpoint_lazily_and_caches():
    seen = []

    def handler(request):
        seen.append(request.url.path)
        if request.url.path == "/extras/tokenize/count":
            return httpx.Response(200, json={"count": 7})
        return httpx.Response(404)

    counter = ServerCounter("http://127.0.0.1:1/v1", transport=httpx.MockTransport(handler))
    assert seen == []  # no network in the constructor
    assert counter.count("hello world") == 7 and counter.count("hello world") == 7
    assert seen == ["/extras/tokenize/count"]


def test_server_counter_tries_upstream_then_falls_back_to_characters():
    seen = []

    def upstream(request):
        seen.append(request.url.path)
        if request.url.path == "/tokenize":
            return httpx.Response(200, json={"tokens": [1, 2, 3]})
        return httpx.Response(404)

    assert ServerCounter("http://h/v1", transport=httpx.MockTransport(upstream)).count("abc") == 3
    assert seen == ["/extras/tokenize/count", "/tokenize"]

    def nothing(request):
        raise httpx.ConnectError("refused")

    counter = ServerCounter("http://h/v1", transport=httpx.MockTransport(nothing))
    assert counter.count("x" * 35) == 10 and counter._route == ""

