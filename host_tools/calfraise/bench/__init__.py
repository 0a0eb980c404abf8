"""`make bench`: how well and how cheaply the detector counts (see docs/benchmark.md)."""
