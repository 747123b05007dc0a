"""The camera registry (Art. 7, 11, 19): cameras, zones, baselines and check history."""
