"""autograder: isolated, numeric auto-grading for introductory neural-network homework."""

__version__ = "0.1.0"
