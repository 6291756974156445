"""Speed benchmarks (`make bench` -> BENCHMARKS.md): each module measures us against a peer in the same run."""
