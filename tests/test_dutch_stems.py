"""The Dutch stemmer behind search: Snowball's C implementation (PyStemmer), which gives the
words of the pure-Python one that snowballstemmer would otherwise load with all its languages."""

from __future__ import annotations

import re
from pathlib import Path

import Stemmer
from snowballstemmer.dutch_stemmer import DutchStemmer

from node import search

ROOT = Path(__file__).resolve().parent.parent


def dutch_words() -> list[str]:
    """Every word of the sample kernen and of the Dutch interface."""
    sources = [*ROOT.glob("node/kern/sample/*.toml"), *ROOT.glob("node/locale/**/*.po")]
    words: set[str] = set()
    for source in sources:
        words |= set(re.findall(r"\w+", search._fold(source.read_text(encoding="utf-8"))))
    return sorted(words)


def test_search_stems_with_the_c_stemmer():
    assert isinstance(search._stemmer, Stemmer.Stemmer)


def test_the_c_stemmer_gives_the_stems_of_the_python_one():
    words = dutch_words()
    assert len(words) > 800
    python = DutchStemmer()
    assert [search._stem(w) for w in words] == [python.stemWord(w) for w in words]
    assert search.terms("fietsers speeltuinen café") == "fietser speeltuin cafe"
