"""The JSON API under /api/v1 (``routes``), and the request helpers it shares with the pages (``deps``)."""
