"""Python code out of model replies and tests out of docstrings.

`extract_code` turns a model's reply (prose, fences, example calls) into the program to run;
`docstring_tests` turns the examples a task's docstring shows into assert statements, skipping
any that could be read two ways. `fenced_blocks` and `function_names` are the pieces both use.
"""

from agentloop.code._docstring_tests import docstring_tests
from agentloop.code._extract import extract_code, fenced_blocks, function_names

__all__ = ["docstring_tests", "extract_code", "fenced_blocks", "function_names"]
