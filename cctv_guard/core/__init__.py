"""Cross-cutting pieces every other package uses: errors, config loading, atomic writes, paths,
redaction, zones, memory tuning."""
