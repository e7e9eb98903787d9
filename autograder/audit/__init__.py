"""How good an assignment's tests are, for its instructor (never shipped to students).

``severity`` (the main-result tests carry at least half of every exercise), ``suite_run`` (a test
folder over many submissions on the grading engine), ``probes`` (is a mutant equivalent to the
solution?), ``mutation`` (``autograder mutants``: kill rates of the hidden and public tests).
Mutants themselves are made in ``autograder.author.mutants``.
"""
