"""The thought cache: the embedding cache's entries holding one query's thoughts as a checksummed JSON document."""

from __future__ import annotations

from pathlib import Path

from bench.runners.generators import Decoding, Generated
from bench.runners.thought_cache import ThoughtCache, thought_key

GEN = {"backend": "transformers", "sha256": "abc", "chat": True}
THOUGHTS = [Generated("a thought with [markup] and ünïcode", 7, 0.25, "stop"), Generated("second", 32, 0.5, "length")]


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    cache = ThoughtCache(tmp_path)
    key = thought_key(GEN, "<query>q</query><thought>", Decoding(mode="sample", seed=3), 2)
    assert cache.get(key) is None
    cache.put(key, THOUGHTS, {"note": "test"})
    assert cache.get(key) == THOUGHTS
    assert cache.keys() == [key]
    assert not any(p.name.startswith(".tmp-") for p in tmp_path.iterdir())  # published by rename, nothing left behind


def test_key_changes_with_generator_prompt_decoding_seed_and_samples() -> None:
    base = (GEN, "<query>q</query><thought>", Decoding(mode="sample", seed=1, max_new_tokens=32), 2)
    keys = {thought_key(*base)}
    keys.add(thought_key({**GEN, "sha256": "other"}, *base[1:]))
    keys.add(thought_key(GEN, "<query>q2</query><thought>", *base[2:]))
    keys.add(thought_key(GEN, base[1], Decoding(mode="sample", seed=2, max_new_tokens=32), 2))
    keys.add(thought_key(GEN, base[1], Decoding(mode="sample", seed=1, temperature=0.7, max_new_tokens=32), 2))
    keys.add(thought_key(GEN, base[1], Decoding(mode="sample", seed=1, max_new_tokens=64), 2))
    keys.add(thought_key(GEN, base[1], base[2], 3))
    assert len(keys) == 7
    # greedy thoughts do not depend on sampling settings that greedy decoding ignores
    assert thought_key(GEN, "p", Decoding(seed=1), 1) == thought_key(GEN, "p", Decoding(seed=2, temperature=0.5), 1)


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ThoughtCache(tmp_path)
    key = thought_key(GEN, "p", Decoding(), 1)
    cache.put(key, THOUGHTS[:1])
    doc = tmp_path / key / "thoughts.json"
    doc.write_text(doc.read_text(encoding="utf-8").replace("thought", "though!"), encoding="utf-8")
    assert cache.get(key) is None
    cache.put(key, THOUGHTS[:1])  # a new writer replaces the damaged entry
    assert cache.get(key) == THOUGHTS[:1]
