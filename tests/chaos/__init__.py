"""The chaos soak: the whole stack under steady load while a seeded generator breaks something
every 20 to 40 s, then a drain and the checks that nothing was lost, duplicated or leaked.

`make chaos` runs it for about ten minutes (`python -m tests.chaos --seed N`);
tests/e2e/test_chaos.py runs a two-minute variant in the suite. Modules: `load` (the reports and
the client that posts them), `faults` (the seeded plan, the faults and the supervisor that
restarts what died), `checks` (what is verified after the drain), `soak` (the run itself)."""
