"""cctv-guard: compliance checks for CCTV cameras (Gansu Order No. 78, 2011)."""

__version__ = "0.1.0"
