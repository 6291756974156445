"""Training a student from a spec's ``training:`` recipe (soft-label family, LG-ANNA style).

mine (:mod:`.stages`, through the ordinary runners and their caches) -> teacher-score (runner teachers
fused, and/or a CrossEncoder) -> filter (:mod:`.negatives`: TopK-PercPos adaptive margin) -> train
(:mod:`.trainer`: SentenceTransformerTrainer, checkpointed, bitwise repeatable on CPU). Each stage is a
content-keyed entry of the embedding cache's code (:mod:`.cache`); :mod:`.pipeline` plans the keys and
runs what is missing; :mod:`.recipe` validates the section; :mod:`.availability` tells a quick
reproduction which students are not trained here.
"""
