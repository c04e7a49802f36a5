"""agents/edit/implement.py: the function at a line, and its body replaced keeping every other byte."""

import ast

import pytest

from agents.edit.implement import ImplementError, function_at, new_body, replace_body

SOURCE = ('import math\n\n\nclass K:\n    async def f(self, x):  # keep me\n        """Doc."""\n'
          '        pass\n\n\ndef g():\n    """Only a doc."""\n\n\ndef h(): return 1\n')


def test_function_at_finds_the_innermost_function():
    assert function_at(SOURCE, 7).name == "f" and function_at(SOURCE, 11).name == "g"
    with pytest.raises(ImplementError, match="no function at line 2"):
        function_at(SOURCE, 2)
    with pytest.raises(ImplementError, match="does not parse"):
        function_at("def (:\n", 1)


def test_replace_body_keeps_every_other_byte():
    func = function_at(SOURCE, 7)
    code = "import math\nimport re\n\ndef helper(y):\n    return y\n\nasync def f(self, x):\n    return helper(math.sqrt(x))\n"
    out = replace_body(SOURCE, func, new_body(code, func, SOURCE))
    assert out == SOURCE.replace("        pass\n", "        import re\n\n        def helper(y):\n            return y\n\n"
                                                "        return helper(math.sqrt(x))\n")
    ast.parse(out)
    g = function_at(SOURCE, 11)
    out = replace_body(SOURCE, g, new_body("def g():\n    return 2\n", g, SOURCE))
    assert out == SOURCE.replace('    """Only a doc."""\n', '    """Only a doc."""\n    return 2\n')
    with pytest.raises(ImplementError, match="one line"):
        replace_body(SOURCE, function_at(SOURCE, 14), "    return 2\n")
    with pytest.raises(ImplementError, match="does not define g"):
        new_body("def other():\n    pass\n", g, SOURCE)
