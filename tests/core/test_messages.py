"""Messages as the model receives them."""

from __future__ import annotations

from agentloop import Message
from agentloop._messages import message_dict


class _Tagged(Message):
    tag: str | None = None


def test_message_dict_is_the_openai_shape_with_unset_fields_left_out() -> None:
    named = Message(role="tool", content="42", name="calculator")
    plain = Message(role="user", content="hi")
    assert message_dict(named) == {"role": "tool", "content": "42", "name": "calculator"}
    assert message_dict(plain) == {"role": "user", "content": "hi"}
    # Kept equal to pydantic's dump, so that a field added to Message is not silently dropped.
    values = {name: "user" if name == "role" else "x" for name in Message.model_fields}
    every_field = Message(**values)
    assert message_dict(every_field) == every_field.model_dump(exclude_none=True)


def test_message_dict_of_a_subclass_keeps_its_own_fields() -> None:
    assert message_dict(_Tagged(role="user", content="hi", tag="t")) == {
        "role": "user",
        "content": "hi",
        "tag": "t",
    }
