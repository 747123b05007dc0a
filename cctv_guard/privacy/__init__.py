"""The Art. 9 privacy scan: cues from detectors, classifiers and signs, fused into findings."""
