"""The Alpaca prompt as a named chat template, in model repos as additional_chat_templates/alpaca.jinja.

transformers loads every `additional_chat_templates/*.jinja` of a repo as a named template, so users can
write `tokenizer.apply_chat_template([{"role": "user", "content": instruction, "input": text}],
chat_template="alpaca", tokenize=False)` and get exactly `wa_hub.prompts.format_prompt(instruction, text)`.
The folder also matters to olah: transformers lists it when loading a tokenizer, and olah (0.5.4, offline)
answers a path missing from a mirror with 401 "repo not found" instead of 404, which breaks the load.
"""

from __future__ import annotations

from wa_hub.prompts import PROMPT_INPUT, PROMPT_NO_INPUT

TEMPLATE_PATH = "additional_chat_templates/alpaca.jinja"


def _jinja_text(prompt: str) -> str:
    # The prompt text with its placeholders turned into Jinja expressions; `{{`/`}}` never occur in it.
    return prompt.replace("{instruction}", "{{ message['content'] }}").replace(
        "{input}", "{{ message['input'] }}"
    )


def alpaca_chat_template() -> str:
    """A single-turn template: the last user message is the instruction, its optional `input` the input."""
    return (
        "{%- set message = (messages | selectattr('role', 'equalto', 'user') | list)[-1] -%}\n"
        "{%- if message['input'] is defined and message['input'] -%}\n"
        + _jinja_text(PROMPT_INPUT)
        + "{% else -%}\n"
        + _jinja_text(PROMPT_NO_INPUT)
        + "{% endif -%}\n"
    )
