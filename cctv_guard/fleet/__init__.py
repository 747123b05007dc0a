"""Nightly audits over a city's fleet of cameras."""
