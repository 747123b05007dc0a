"""Reading footage and images (the only place that opens them) and writing evidence pictures."""
