"""Where events come from: ``ingest`` (real exports) and ``generate`` (a synthetic desk)."""
