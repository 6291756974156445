"""Published reference tables (Pyserini 2CR, MTEB results) as data, with provenance `published`."""
