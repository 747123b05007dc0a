"""Reports an inspector hands on: HTML, summaries, enrichment with camera facts and articles."""
