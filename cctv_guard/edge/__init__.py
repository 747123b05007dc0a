"""The edge process beside the cameras: live streams, alert sinks, metrics."""
