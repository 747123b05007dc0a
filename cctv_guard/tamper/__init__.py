"""Tamper detection (Art. 8, 16(7), 17): baseline field of view, drift, picture health, events."""
