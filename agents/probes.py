"""Probe inputs: extra arguments for the entry point, made by mutating the visible tests' own.

Selection by execution (issue 13) runs every candidate on the same inputs and groups the
candidates whose outputs agree. The inputs come from the task's visible tests, EvalPlus
style: every call to the entry point whose positional arguments are all literals is a
seed, and type-aware mutations of the seeds (an int ±1, a reversed list, a string with a
character dropped, …) make more. No expected outputs are needed: only agreement counts.

Everything is deterministic (a seeded `random.Random`, no `hash()`), and mutated values
stay small (lengths and int magnitudes capped) so that a correct solution answers fast.
Each input is returned as the Python literal of its argument tuple, e.g. "([1, 2, 3], 2)",
which the sandbox runner turns back into values with `ast.literal_eval`.
"""

from __future__ import annotations

import ast
import doctest
import random

from agents.task import Task
from codetext.pyast import parse_python

MAX_LEN = 24  # longest mutated string, list, tuple, set or dict
# Mutated numbers stay within max(MIN_BOUND, 2 × the largest number in the seeds): the
# running time of many tasks grows fast with an int argument (naive fib(n), prime_fib(n)).
MIN_BOUND = 10
MAX_DEPTH = 3  # nesting depth up to which elements are mutated
MAX_LITERAL = 2000  # longest input literal kept (characters)


def _calls(source: str, name: str) -> list[tuple]:
    """Argument tuples of the calls `name(...)` in `source` whose arguments are all literals."""
    try:
        tree = parse_python(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name):
            continue
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        try:
            found.append(((node.lineno, node.col_offset), tuple(ast.literal_eval(a) for a in node.args)))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
    return [args for _, args in sorted(found, key=lambda pair: pair[0])]  # source order (walk is breadth-first)


def seed_inputs(task: Task) -> list[tuple]:
    """The literal argument tuples the visible tests call the entry point with, in order."""
    if not task.entry_point:
        return []
    sources = list(task.asserts)
    if task.doctests.strip():
        try:
            sources += [ex.source for ex in doctest.DocTestParser().get_examples(task.doctests)]
        except ValueError:
            pass
    return [args for source in sources for args in _calls(source, task.entry_point)]


def literal(value) -> str:
    """Python literal source for `value`; set elements sorted so the text never depends on
    hash order (dicts keep their insertion order, which is deterministic)."""
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return "(" + inner + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(literal(v) for v in value)) + "}" if value else "set()"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _int_variants(x: int, rng: random.Random) -> list[int]:
    return [x + 1, x - 1, 2 * x, x + rng.randint(2, 10), 0, -x]


def _float_variants(x: float, rng: random.Random) -> list[float]:
    if x != x or x in (float("inf"), float("-inf")):
        return [0.0, 1.0]
    return [x + 1.0, x - 1.0, 2 * x, x / 2, round(x + rng.uniform(-2.0, 2.0), 3), 0.0, -x]


def _str_variants(s: str, rng: random.Random) -> list[str]:
    """Word-level changes first when `s` has words (they tend to stay valid input, e.g.
    "three one five"), then character-level ones."""
    out = []
    words = s.split(" ")
    if len(words) > 1:
        i, j = rng.randrange(len(words)), rng.randrange(len(words))
        out += [" ".join(words[::-1]), " ".join(words[:i] + words[i + 1:])]
        if len(s) + len(words[j]) < MAX_LEN:
            out.append(" ".join(words[:j + 1] + [words[j]] + words[j + 1:]))
    if s:
        i = rng.randrange(len(s))
        out.append(s[:i] + s[i + 1:])
    if len(s) < MAX_LEN:
        i = rng.randrange(len(s) + 1)
        out.append(s[:i] + rng.choice(s or "ab") + s[i:])
    out += [s[::-1], ""]
    if 2 * len(s) <= MAX_LEN:
        out.append(s + s)
    return out + [s.swapcase(), s.upper(), s.lower()]


def _seq_variants(xs: list, rng: random.Random, depth: int) -> list[list]:
    out = [xs[::-1]]
    try:
        out.append(sorted(xs))
    except TypeError:  # mixed element types
        pass
    out.append([])
    if xs:
        i = rng.randrange(len(xs))
        out.append(xs[:i] + xs[i + 1:])
        if len(xs) < MAX_LEN:
            j = rng.randrange(len(xs))
            out.append(xs[:j + 1] + [xs[j]] + xs[j + 1:])
        if depth < MAX_DEPTH:
            k = rng.randrange(len(xs))
            inner = variants(xs[k], rng, depth + 1)
            for v in rng.sample(inner, k=min(2, len(inner))):
                out.append(xs[:k] + [v] + xs[k + 1:])
            if len(xs) < MAX_LEN:
                extra = variants(xs[rng.randrange(len(xs))], rng, depth + 1)
                if extra:
                    out.append(xs + [rng.choice(extra)])
    return [v[:MAX_LEN] for v in out]


def _dict_variants(d: dict, rng: random.Random, depth: int) -> list[dict]:
    out = [{}]
    keys = list(d)
    if keys:
        k = rng.choice(keys)
        out.append({a: b for a, b in d.items() if a != k})
        if depth < MAX_DEPTH:
            for v in variants(d[k], rng, depth + 1)[:2]:
                out.append({**d, k: v})
            if len(d) < MAX_LEN:
                new_keys = [nk for nk in variants(k, rng, depth + 1) if nk not in d]
                if new_keys:
                    out.append({**d, new_keys[0]: d[k]})
    return out


def variants(value, rng: random.Random, depth: int = 0) -> list:
    """Type-aware mutations of one value (may contain duplicates or the value itself)."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return _int_variants(value, rng)
    if isinstance(value, float):
        return _float_variants(value, rng)
    if isinstance(value, str):
        return _str_variants(value, rng)
    if isinstance(value, list):
        return _seq_variants(value, rng, depth)
    if isinstance(value, tuple):
        return [tuple(v) for v in _seq_variants(list(value), rng, depth)]
    if isinstance(value, (set, frozenset)):
        ordered = sorted(value, key=literal)
        return [type(value)(v) for v in _seq_variants(ordered, rng, depth)]
    if isinstance(value, dict):
        return _dict_variants(value, rng, depth)
    return []  # None, bytes, complex: kept as they are


def _largest(value) -> float:
    """The largest magnitude of a number inside `value` (0 when there is none)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return abs(value) if value == value else 0.0
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return max((_largest(v) for v in value), default=0)
    return 0


def _usable(text: str) -> bool:
    """The literal is short and reads back (an `inf` or `nan` float has no literal)."""
    if len(text) > MAX_LITERAL:
        return False
    try:
        ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _one_arg_mutants(args: tuple, rng: random.Random) -> list[tuple]:
    """Every argument tuple that differs from `args` in one argument, the arguments taken
    in turn (first variant of each, then the second of each, …)."""
    per_arg = [[args[:i] + (v,) + args[i + 1:] for v in variants(arg, rng)] for i, arg in enumerate(args)]
    return [m for k in range(max(map(len, per_arg), default=0)) for m in (vs[k] for vs in per_arg if k < len(vs))]


def _int_floors(seeds: list[tuple]) -> dict[int, int]:
    """Per argument position where every seed passes an int: the smallest int the seeds'
    sign allows (1 when all are positive, 0 when all are ≥ 0). Positions that only ever
    see counts or sizes (fib(n), prime_fib(n)) rarely accept 0 or negatives, and a
    reference solution may loop forever on them."""
    floors = {}
    for i in range(max(map(len, seeds), default=0)):
        ints = [a[i] for a in seeds if len(a) > i]
        if ints and all(isinstance(v, int) and not isinstance(v, bool) for v in ints):
            low = min(ints)
            if low >= 0:
                floors[i] = 1 if low >= 1 else 0
    return floors


def _respects(args: tuple, floors: dict[int, int]) -> bool:
    return all(not (isinstance(v, int) and not isinstance(v, bool)) or i not in floors or v >= floors[i]
               for i, v in enumerate(args))


def probe_inputs(task: Task, limit: int = 30, seed: int = 0) -> list[str]:
    """Up to `limit` argument tuples (as literals) to run every candidate on.

    The visible tests' own argument tuples come first, then one-argument mutations of
    each, taken round-robin over the seeds so that every seed contributes; when those run
    out, random mutations of random inputs found so far (mutants of mutants) fill up.
    Duplicates, inputs without a literal, numbers beyond twice the seeds' largest, and
    top-level ints below the seeds' sign (see `_int_floors`) are dropped. No literal
    calls → []."""
    rng = random.Random(seed)
    seeds = seed_inputs(task)
    bound = max([MIN_BOUND] + [2 * _largest(args) for args in seeds])  # mutants of mutants must not grow
    floors = _int_floors(seeds)
    chosen: list[str] = []
    seen: set[str] = set()
    pool: list[tuple] = []

    def add(args: tuple) -> None:
        text = literal(args)
        if (len(chosen) < limit and text not in seen and _largest(args) <= bound and _respects(args, floors)
                and _usable(text)):
            seen.add(text)
            chosen.append(text)
            pool.append(args)

    for args in seeds:
        add(args)
    queues = [_one_arg_mutants(args, rng) for args in list(pool)]
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue:
                add(queue.pop(0))
    for _ in range(20 * limit):  # random deeper mutations; bounded, duplicates are likely
        if len(chosen) >= limit or not pool:
            break
        base = rng.choice(pool)
        if not base:
            continue
        mutants = _one_arg_mutants(base, rng)
        if mutants:
            add(rng.choice(mutants))
    return chosen
