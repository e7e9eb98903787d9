"""Exports to the tools courses already use: Gradescope's autograder zip, an otter-grader master
notebook, and LMS gradebook files (Moodle, Canvas, plain CSV). Each lives in its own module."""
