"""The Stanford Alpaca prompt template and the study's task prompts (its Table 1).

The template is alpaca-lora's `templates/alpaca.json` (the study's LoRA runs used it): the same text as
Stanford Alpaca's, with a newline after `### Response:` so the response starts on its own line.
"""

from __future__ import annotations

from wa_hub.errors import UsageError

TASKS: tuple[str, ...] = (
    "grammaticality",
    "fluency",
    "clarity",
    "coherence",
    "simplification",
    "neutralization",
    "paraphrasing",
)

TASK_PROMPTS: dict[str, str] = {
    "grammaticality": "Fix grammatical errors in the text.",
    "fluency": "Make the text more fluent.",
    "clarity": "Make the text more concise and readable.",
    "coherence": "Make the text more cohesive.",
    "simplification": "Simplify the text.",
    "neutralization": "Neutralize the text.",
    "paraphrasing": "Paraphrase the text.",
}

PROMPT_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)

PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)


def task_prompt(task: str) -> str:
    """The study's instruction for `task`; a clear error for an unknown task."""
    try:
        return TASK_PROMPTS[task]
    except KeyError:
        raise UsageError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}") from None


def format_prompt(instruction: str, input: str = "") -> str:
    """The Alpaca prompt up to and including `### Response:\\n` (empty input uses the no-input form)."""
    if input:
        return PROMPT_INPUT.format(instruction=instruction, input=input)
    return PROMPT_NO_INPUT.format(instruction=instruction)
