"""MBPP+ inputs back to the types their tasks expect; stdlib only.

MBPP+ stores arguments as JSON lists; like EvalPlus's `mbpp_deserialize_inputs`, some
tasks (by task number) get tuples, sets, dicts of tuples or complex numbers back. The check
programs include this file's source (the candidate is called with these arguments); the
host uses it too (`eval.compare`'s oracles that recompute an answer from the arguments).
Importing this module has no side effects.
"""


def _tuples(x):
    return tuple(x) if isinstance(x, list) else x


def _all_tuples(x):
    return tuple(_all_tuples(i) for i in x) if isinstance(x, list) else x


def convert_args(num, args):
    """One MBPP+ argument list back to the types the task expects (by task number)."""
    if num in (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630,
               726, 740, 744, 809):
        return [_tuples(a) for a in args]
    if num in (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780):
        return [[_tuples(i) for i in a] for a in args]
    if num in (75, 413, 444, 753):
        return [[_tuples(i) for i in args[0]], args[1]]
    if num in (106, 750):
        return [args[0], tuple(args[1])]
    if num == 115:
        return [[set(i) if isinstance(i, list) and i else {} for i in args[0]]]
    if num == 124:
        return [float(args[0]), complex(args[1])]
    if num in (250, 405, 446, 617, 720, 763, 808):
        return [tuple(args[0]), *args[1:]]
    if num in (259, 401, 445):
        return [tuple(_tuples(i) for i in a) for a in args]
    if num == 278:
        return [tuple(_tuples(i) for i in args[0])]
    if num == 307:
        return [tuple(args[0]), *args[1:]]
    if num == 722:
        return [{k: tuple(v) for k, v in args[0].items()}, *args[1:]]
    if num == 252:
        return [complex(args[0])]
    if num in (580, 615, 791):
        return list(_all_tuples(args))
    return args


def all_inputs(dataset, task_num, inputs_json):
    """(base + plus argument lists, number of base inputs) from the payload's JSON text."""
    import json

    base, plus = json.loads(inputs_json)
    if dataset == "mbpp":
        base = [convert_args(task_num, a) for a in base]
        plus = [convert_args(task_num, a) for a in plus]
    return base + plus, len(base)
