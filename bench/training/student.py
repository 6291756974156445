"""The weights a runner loads for a spec: its ``weights`` block, or the student its ``training:`` recipe trained here.

Above :mod:`bench.weights` and :mod:`bench.training.pipeline` (which resolves its base and teacher weights through
:mod:`bench.weights`), so weights resolution never imports the training package back.
"""

from __future__ import annotations

from bench.specs import ModelSpec, spec_error
from bench.weights import ResolvedWeights, resolve_weights


def resolve_spec_weights(spec: ModelSpec, source: str = "<spec>") -> ResolvedWeights:
    """The weights a runner loads for ``spec``: its ``weights`` block, or, for a spec with a ``training:`` recipe, the
    student that recipe trained here (``bench train``), checked against ``weights.sha256`` like any weights.

    Raises:
        SpecError: as :func:`bench.weights.resolve_weights`, or an invalid recipe.
        RunnerUnavailable: the weights are not available, or the student has not been trained yet ("train it first").
    """
    if spec.weights is None:
        raise spec_error(source, "weights", f"kind '{spec.kind}' needs weights: {{id: <hugging face id>, revision: <commit>}}")
    if spec.training is None:
        return resolve_weights(spec.weights, source)
    from bench.training.pipeline import trained_model  # only a spec with a recipe loads the training code

    return resolve_weights(spec.weights.model_copy(update={"path": str(trained_model(spec, source))}), source)
