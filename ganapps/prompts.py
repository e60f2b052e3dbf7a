"""Words → class labels, for ``ganapps generate --prompt`` on class-conditional models.

Text→image at the scale of this project: a prompt is matched to one of a model's class names
through the everyday words people use for it ("trainers" is a Fashion-MNIST *Sneaker*). A phrase
found inside a longer one does not count, so "ankle boot" is not also a "boot" and "dress shirt"
not also a "dress"; a prompt that still names two classes ("shoe and bag"), or none, is refused
with the words understood.
"""
from __future__ import annotations

import re

FASHION_WORDS: dict[str, tuple[str, ...]] = {
    "T-shirt/top": ("t-shirt", "t shirt", "tshirt", "tee", "tee shirt", "top", "tank top", "vest top"),
    "Trouser": ("trouser", "trousers", "pants", "jeans", "slacks", "chinos", "leggings"),
    "Pullover": ("pullover", "sweater", "jumper", "sweatshirt", "hoodie", "cardigan"),
    "Dress": ("dress", "gown", "frock", "sundress"),
    "Coat": ("coat", "jacket", "overcoat", "parka", "raincoat", "anorak", "blazer"),
    "Sandal": ("sandal", "sandals", "flip-flop", "flip-flops", "flip flops", "slides"),
    "Shirt": ("shirt", "blouse", "button-down", "dress shirt"),
    "Sneaker": ("sneaker", "sneakers", "trainer", "trainers", "running shoe", "running shoes", "shoe", "shoes"),
    "Bag": ("bag", "handbag", "purse", "backpack", "tote", "satchel", "clutch"),
    "Ankle boot": ("ankle boot", "ankle boots", "boot", "boots", "bootie", "booties"),
}


class UnknownPrompt(ValueError):
    """The prompt names none of the model's classes, or two of them equally."""


def _words(text: str) -> str:
    """Lower case, punctuation other than hyphens and slashes to spaces, single spaces, padded."""
    return " " + " ".join(re.sub(r"[^\w\-/]+", " ", text.lower()).split()) + " "


def vocabulary(classes: list[str]) -> dict[str, int]:
    """Phrase → class index: each class name itself, plus its everyday words where known."""
    phrases: dict[str, int] = {}
    for i, name in enumerate(classes):
        for phrase in (name, *name.split("/"), *FASHION_WORDS.get(name, ())):
            phrases.setdefault(_words(phrase).strip(), i)
    return phrases


def match_prompt(prompt: str, classes: list[str]) -> int:
    """The index in ``classes`` that ``prompt`` asks for.

    >>> names = list(FASHION_WORDS)
    >>> names[match_prompt("A pair of Trainers!", names)]
    'Sneaker'
    >>> names[match_prompt("red ankle boots", names)]
    'Ankle boot'
    >>> names[match_prompt("T-shirt", names)]
    'T-shirt/top'
    """
    text = _words(prompt)
    spans = []  # (start, end, class) of every phrase found, on word boundaries
    for phrase, i in vocabulary(classes).items():
        spans += [(m.start() + 1, m.start() + 1 + len(phrase), i) for m in re.finditer(f"(?= {re.escape(phrase)} )", text)]
    kept = {i for a, b, i in spans if not any(c <= a and b <= d and (c, d) != (a, b) for c, d, _ in spans)}
    if not kept:
        raise UnknownPrompt(f"no class in {prompt.strip()!r}; understood: {understood(classes)}")
    if len(kept) > 1:
        raise UnknownPrompt(f"{prompt.strip()!r} names several classes ({', '.join(classes[i] for i in sorted(kept))}); ask for one")
    return kept.pop()


def understood(classes: list[str]) -> str:
    """The words a prompt can use, grouped by class, for error messages and help."""
    groups: dict[int, list[str]] = {}
    for phrase, i in vocabulary(classes).items():
        groups.setdefault(i, []).append(phrase)
    return "; ".join(f"{classes[i]}: {', '.join(words)}" for i, words in sorted(groups.items()))
