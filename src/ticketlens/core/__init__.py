"""Lowest layer: the vocabulary, errors, configuration loading, the segment filter and small plumbing every layer shares."""
