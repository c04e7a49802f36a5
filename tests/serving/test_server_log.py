"""Prefix-cache accounting from llama-cpp-python server log lines."""

from serving.server_log import PrefixReuse, prefix_reuse, prefix_reuse_from_file

# Lines as the 0.3.36 server writes them: a cold request, then one reusing 255 tokens.
LOG = """\
INFO:     Started server process [1]
llama_perf_context_print: prompt eval time =     210.51 ms /   256 tokens (    0.82 ms per token)
INFO:     127.0.0.1:1 - "POST /v1/chat/completions HTTP/1.1" 200 OK
Llama.generate: 255 prefix-match hit, remaining 3 prompt tokens to eval
llama_perf_context_print: prompt eval time =       0.00 ms /     3 tokens (    0.00 ms per token)
"""


def test_counts_reused_and_evaluated_prompt_tokens():
    reuse = prefix_reuse(LOG)
    assert reuse == PrefixReuse(requests=2, reused_tokens=255, evaluated_tokens=259)
    assert round(reuse.share, 3) == round(255 / 514, 3)


def test_reads_only_from_the_offset(tmp_path):
    path = tmp_path / "server.log"
    head = LOG.split("INFO:     127.0.0.1")[0]
    path.write_text(LOG)
    assert prefix_reuse_from_file(path, len(head.encode())) == PrefixReuse(1, 255, 3)
    assert PrefixReuse().share == 0.0
