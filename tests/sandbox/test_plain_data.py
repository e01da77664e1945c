"""The plain-data codec: exact round trips for builtin values, refusals for everything else."""

from __future__ import annotations

import collections
import math

import pytest

from agentloop.sandbox._plain_data import (
    BadEncoding,
    Unencodable,
    decode,
    encode,
    from_literal,
    literal,
)

ROUND_TRIPS = [
    None, True, False, 0, -7, 10**40, 1.5, -0.0, "", "héllo\n", b"\x00\xff", 3 + 4j,
    [1, [2, (3, 4)]], (1,), (), {1, 2}, frozenset({"a"}), {"a": 1, (1, 2): [3], None: {4}},
    [{"nested": ({1: (2.5, "x")},)}],
]


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=repr)
def test_builtin_values_cross_unchanged_with_their_exact_types(value: object) -> None:
    for back in (decode(encode(value)), from_literal(literal(value))):
        assert back == value
        assert repr(back) == repr(value)  # a tuple stays a tuple, True stays True (not 1)


def test_nan_and_infinities_cross() -> None:
    for back in (decode(encode([math.nan, math.inf, -math.inf])),
                 from_literal(literal([math.nan, math.inf, -math.inf]))):
        assert isinstance(back, list)
        assert math.isnan(back[0]) and back[1:] == [math.inf, -math.inf]


def test_a_subclass_crosses_as_the_builtin_value_it_holds_and_its_lies_stay_behind() -> None:
    lying = _LyingInt(3)
    for back in (decode(encode([lying])), from_literal(literal([lying]))):
        assert back == [3] and type(back[0]) is int
        assert back != [4]  # the always-true `__eq__` did not cross
    point = collections.namedtuple("point", "x y")(1, 2)
    assert decode(encode(point)) == (1, 2) and type(decode(encode(point))) is tuple


def test_the_standard_dict_kinds_cross_as_plain_dicts() -> None:
    for value in (
        collections.OrderedDict(a=1), collections.defaultdict(int, a=1), collections.Counter("aa")
    ):
        for back in (decode(encode(value)), from_literal(literal(value))):
            assert type(back) is dict and back == dict(value)


class _AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


class _LyingInt(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


def _generator() -> object:
    yield 1


def _self_containing() -> list[object]:
    value: list[object] = []
    value.append(value)
    return value


@pytest.mark.parametrize(
    "value",
    [_AlwaysEqual(), [1, _AlwaysEqual()], {"k": _AlwaysEqual()}, _generator(), len,
     _self_containing(), 10**5000],
    ids=["own-class", "nested", "dict-value", "generator", "function", "self-containing",
         "huge-int"],
)
def test_anything_that_could_lie_or_is_not_data_is_refused(value: object) -> None:
    with pytest.raises(Unencodable):
        encode(value)
    with pytest.raises(Unencodable):
        literal(value)


@pytest.mark.parametrize(
    "text",
    ['{"$": "evil", "v": []}', '{"a": 1}', '{"$": "dict", "v": [[1]]}', '{"$": "tuple", "v": 1}',
     '{"$": "set", "v": [[1]]}', '{"$": "float", "v": "1e5"}', "not json",
     '{"$": "bytes", "v": "*"}'],
)
def test_decoding_refuses_anything_the_encoder_would_not_write(text: str) -> None:
    with pytest.raises(BadEncoding):
        decode(text)
