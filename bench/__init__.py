"""wsauth benchmarks (not tests): ``python -m bench``; see bench/run.py."""
