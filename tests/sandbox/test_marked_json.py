"""RunResult.marked_json: the one reader of a sandboxed program's result line (tester,
test runs of a repository, benchmark checks)."""

from sandbox.base import RunResult


def test_the_last_marked_line_wins_and_a_torn_one_is_no_result():
    out = 'noise\n@@M@@ {"n": 1}\nmore noise\n@@M@@ {"n": 2}\ntrailing\n'
    assert RunResult(0, stdout=out).marked_json("@@M@@") == {"n": 2}
    assert RunResult(0, stdout="@@M@@ [1, 2]").marked_json("@@M@@") == [1, 2]
    assert RunResult(1, stdout='@@M@@ {"n": 1}\n@@M@@ {"n": ').marked_json("@@M@@") is None  # died mid-line
    assert RunResult(0, stdout='x @@M@@ {"n": 1}').marked_json("@@M@@") is None  # only at a line start
    assert RunResult(0, stdout="").marked_json("@@M@@") is None
