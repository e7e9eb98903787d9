"""Renderers: results in the formats people and other tools read. Results never render themselves."""
