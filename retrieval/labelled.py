"""A small labelled retrieval set over standard-library docs, for tests and the benchmark.

Each query is what a coder might need while writing a function; `relevant` lists the
stdlib doc sources (`stdlib:<qualname>`) that answer it. Half the queries reuse the
docs' own words (BM25's strength), half paraphrase them (dense's strength), so the set
shows whether fusion keeps the best of both. Written by hand for this project.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# Modules whose docs form the small test corpus (a few hundred docs: quick to embed).
MODULES = frozenset(
    "json re posixpath genericpath collections functools heapq bisect textwrap string statistics "
    "shutil pathlib csv random difflib fractions datetime glob fnmatch calendar copy base64 "
    "tempfile gzip urllib.parse html subprocess argparse zipfile os pprint operator uuid "
    "secrets ipaddress".split()
)

QUERIES: list[tuple[str, tuple[str, ...]]] = [
    # lexical: shares words with the target doc
    ("serialize obj to a JSON formatted str", ("json.dumps",)),
    ("deserialize a str containing a JSON document", ("json.loads",)),
    ("return all non-overlapping matches of pattern in string", ("re.findall",)),
    ("split the source string by the occurrences of the pattern", ("re.split",)),
    ("most common elements and their counts", ("collections.Counter.most_common",)),
    ("least recently used cache decorator", ("functools.lru_cache",)),
    ("find the n largest elements in a dataset", ("heapq.nlargest",)),
    ("insert item x in list a and keep it sorted", ("bisect.insort_right", "bisect.insort_left")),
    ("remove any common leading whitespace from every line", ("textwrap.dedent",)),
    ("return the median middle value of numeric data", ("statistics.median",)),
    ("recursively delete a directory tree", ("shutil.rmtree",)),
    ("path to the executable which would be run", ("shutil.which",)),
    ("deep copy operation on arbitrary python objects", ("copy.deepcopy",)),
    ("encode a bytes-like object using Base64", ("base64.b64encode",)),
    ("parse a URL into 6 components", ("urllib.parse.urlparse",)),
    # paraphrased: few or no shared words
    ("turn a python dictionary into text I can write to a file as json", ("json.dumps", "json.dump")),
    ("tally how many times each word shows up", ("collections.Counter",)),
    ("memoize an expensive function so repeated calls are fast", ("functools.lru_cache", "functools.cache")),
    ("fold a list into a single value by applying a two argument function cumulatively", ("functools.reduce",)),
    ("binary search for the position where a value should go", ("bisect.bisect_left", "bisect.bisect_right")),
    ("break a long paragraph into lines no wider than 70 characters", ("textwrap.wrap", "textwrap.fill")),
    ("make every word in a sentence start with an uppercase letter", ("string.capwords",)),
    ("how spread out are the numbers, sample standard deviation", ("statistics.stdev",)),
    ("duplicate a file's contents to another location", ("shutil.copyfile", "shutil.copy", "shutil.copy2")),
    ("suggest similar spellings for a mistyped word", ("difflib.get_close_matches",)),
    ("show the line by line differences between two texts like a patch", ("difflib.unified_diff",)),
    ("is the year a leap year", ("calendar.isleap",)),
    ("make a scratch folder that is deleted later", ("tempfile.mkdtemp", "tempfile.TemporaryDirectory")),
    ("escape angle brackets and ampersands so text is safe in a web page", ("html.escape",)),
    ("run an external program and capture what it prints", ("subprocess.run", "subprocess.check_output")),
    ("walk through all folders and files below a directory", ("os.walk",)),
    ("a random hex string suitable for a password reset token", ("secrets.token_hex",)),
    ("read a spreadsheet exported as comma separated values into dicts", ("csv.DictReader",)),
    ("convert a date string like 2024-01-31 into a datetime", ("datetime.datetime.strptime", "datetime.datetime.fromisoformat", "datetime.date.fromisoformat")),
]


def in_test_corpus(source: str) -> bool:
    """Whether a `stdlib:` doc source belongs to the small test corpus (by module)."""
    name = source.removeprefix("stdlib:")
    parts = name.split(".")
    return any(".".join(parts[:n]) in MODULES for n in range(1, len(parts) + 1))


def recall_at_k(search: Callable[[str, int], Sequence], k: int = 5) -> float:
    """Fraction of queries with at least one relevant source among the top `k` hits."""
    found = 0
    for query, relevant in QUERIES:
        sources = {getattr(h, "source", h) for h in search(query, k)}
        found += any(f"stdlib:{r}" in sources for r in relevant)
    return found / len(QUERIES)
